"""Liveness and readiness: `/healthz` says the process runs, `/readyz` that it can search."""
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
    body = {"status": "ready" if state["ok"] else "not ready", "store": store.name, **state}
    if state["ok"]:
        lag = sync_lag(store)
        if lag is not None:
            body["sync"] = lag
    return jsonify(body), 200 if state["ok"] else 503


def sync_lag(store):
    """The live-bed sync lag where the engine keeps its own copy (Elasticsearch).

    Lag never makes a worker unready: every worker shares it, shown figures are merged
    live anyway, and pulling all workers would turn stale filters into an outage. It is
    reported for alerting (docs/elasticsearch.md says what is alarming)."""
    try:
        return store.sync_lag()
    except StoreError as exc:
        return {"error": str(exc)}
