"""Liveness and readiness: `/healthz` says the process runs, `/readyz` that it can search."""
from flask import Blueprint, current_app, jsonify

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    state = current_app.extensions["store"].health()
    body = {"status": "ready" if state["ok"] else "not ready",
            "store": current_app.extensions["store"].name, **state}
    return jsonify(body), 200 if state["ok"] else 503
