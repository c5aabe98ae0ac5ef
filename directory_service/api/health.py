"""Liveness and readiness: `/healthz` says the process runs, `/readyz` that it can search
and reach the availability database (each part says whether it is ok)."""
from flask import Blueprint, current_app, jsonify

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    state = current_app.extensions["store"].health()
    body = {"store": current_app.extensions["store"].name, **state}
    ok = state["ok"]
    adb = current_app.extensions.get("availability")
    if adb is not None:
        body["availability"] = availability_health(adb)
        ok = ok and body["availability"]["ok"]
    body["status"] = "ready" if ok else "not ready"
    return jsonify(body), 200 if ok else 503


def availability_health(adb):
    """{"ok", "backend"} and, when down, the error's class (never its text: it may name
    hosts and users)."""
    try:
        adb.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return {"ok": False, "backend": adb.backend_name,
                "error": type(getattr(exc, "orig", None) or exc).__name__}
    return {"ok": True, "backend": adb.backend_name}
