"""``GET /healthz``: the state of the database and the search index, as JSON."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from pymongo.errors import PyMongoError

from portal import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    checks = {"database": _database(), "search_index": _search_index()}
    healthy = all(check["ok"] for check in checks.values())
    response = jsonify(status="ok" if healthy else "unavailable", **checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _database() -> dict:
    embedded = "embedded_db" in current_app.extensions
    try:
        latency = db.ping()
    except PyMongoError as error:
        return {"ok": False, "embedded": embedded, "error": type(error).__name__}
    return {"ok": True, "embedded": embedded, "latency_ms": round(latency, 2)}


def _search_index() -> dict:
    index = current_app.extensions["search_index"]
    return index.health()
