"""Liveness and readiness: `/healthz` says the process runs, `/readyz` that it can search
and reach the availability database (each part says whether it is ok)."""
import os
import shutil

from flask import Blueprint, current_app, jsonify

from directory_service.search.store import StoreError

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    store = current_app.extensions["store"]
    state = store.health()
    body = {"store": store.name, **state}
    ok = state["ok"]
    adb = current_app.extensions.get("availability")
    if adb is not None:
        body["availability"] = availability_health(adb)
        ok = ok and body["availability"]["ok"]
    if state["ok"]:
        lag = sync_lag(store)
        if lag is not None:
            body["sync"] = lag
    body["status"] = "ready" if ok else "not ready"
    return jsonify(body), 200 if ok else 503


def sync_lag(store):
    """The live-bed sync lag where the engine keeps its own copy (Elasticsearch).

    Lag never makes a worker unready: every worker shares it, shown figures are merged
    live anyway, and pulling all workers would turn stale filters into an outage. It is
    reported for alerting (docs/elasticsearch.md says what is alarming)."""
    try:
        return store.sync_lag()
    except StoreError as exc:
        return {"error": str(exc)}


def availability_health(adb):
    """{"ok", "backend"} and, when down, the error's class (never its text: it may name
    hosts and users). A SQLite file whose disk is (nearly) full is not ready either: it
    still answers SELECT 1, but the next bed report would fail."""
    try:
        adb.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return {"ok": False, "backend": adb.backend_name,
                "error": type(getattr(exc, "orig", None) or exc).__name__}
    body = {"ok": True, "backend": adb.backend_name}
    if adb.path:
        free_mb = shutil.disk_usage(os.path.dirname(adb.path)).free / 1_048_576
        body["disk_free_mb"] = int(free_mb)
        if free_mb < current_app.config["SETTINGS"].availability_min_free_mb:
            body.update(ok=False, error="DiskFull")
    return body
