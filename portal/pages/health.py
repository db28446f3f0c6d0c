"""``GET /healthz``: whether this portal can serve, part by part, as JSON.

Each part answers ``ok``; any part not ok makes the answer 503, so a load
balancer stops sending work to a portal that would accept saves it cannot
index, or serve pages from a database that is away. The administrators'
*System status* page shows the same report.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, current_app, jsonify
from pymongo.errors import PyMongoError

from portal import database as db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    status, checks = report()
    response = jsonify(status=status, **checks)
    response.status_code = 200 if status == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def report() -> tuple[str, dict]:
    """``("ok" | "degraded" | "unavailable", {part: {...}})``."""
    database = _database()
    checks = {
        "database": database,
        "search_index": _search_index(),
        "outbox": _outbox() if database["ok"] else {"ok": False, "error": "database"},
        "workers": _workers(),
    }
    if all(check["ok"] for check in checks.values()):
        return "ok", checks
    # Only late indexing: the portal serves, but searches are stale.
    only_late = not checks["outbox"]["ok"] and all(
        check["ok"] for name, check in checks.items() if name != "outbox"
    )
    return ("degraded" if only_late else "unavailable"), checks


def _database() -> dict:
    embedded = current_app.extensions.get("embedded_db")
    try:
        latency = db.ping()
    except PyMongoError as error:
        out = {"ok": False, "error": type(error).__name__}
    else:
        out = {"ok": True, "latency_ms": round(latency, 2)}
    out["embedded"] = embedded is not None
    if embedded is not None:
        # Read after the ping, which may have waited for a restart.
        out["restarts"] = len(embedded.restarts)
    return out


def _search_index() -> dict:
    store = current_app.extensions["search_index"]
    out = store.health()
    writable = _probe_writable(store)
    if writable is not None:
        out.update(ok=False, writable=False, error=out.get("error") or writable)
    else:
        out["writable"] = True
    failure = current_app.extensions["search_indexer"].last_error
    if failure is not None:
        out.update(
            ok=False, indexer_error=failure["error"], indexer_error_at=failure["at"].isoformat()
        )
    return out


def _probe_writable(store) -> str | None:
    """Write and remove a small file where the index writes; the error, if any.

    A read-only or full disk lets searches go on while every save piles up in
    the outbox; this is how the health check sees it before the users do."""
    folder = Path(store.root)
    live = store.live_name() if folder.is_dir() else None
    if live and (folder / live).is_dir():
        folder = folder / live
    probe = folder / f".healthz-{os.getpid()}-{threading.get_ident()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            # A block's worth: on a full disk the write itself fails.
            os.write(fd, b"\0" * 4096)
        finally:
            os.close(fd)
        probe.unlink()
    except OSError as error:
        return f"{type(error).__name__}: {error.strerror or error}"
    return None


def _outbox() -> dict:
    """Saved changes the index has not applied yet: how many, and how old."""
    config = current_app.config
    max_pending = config["HEALTH_OUTBOX_MAX_PENDING"]
    max_age = config["HEALTH_OUTBOX_MAX_AGE_SECONDS"]
    outbox = db.mongoengine.get_db().search_outbox
    try:
        # Counting stops past the threshold: the exact size of a large
        # backlog matters less than a quick answer.
        waiting = {"seq": {"$gt": current_app.extensions["search_indexer"].known_position()}}
        pending = outbox.count_documents(waiting, limit=max_pending + 1)
        oldest = outbox.find_one(waiting, sort=[("seq", 1)], projection={"at": 1})
    except PyMongoError as error:
        return {"ok": False, "error": type(error).__name__}
    age = 0.0
    if oldest is not None and oldest.get("at") is not None:
        at = oldest["at"]
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        age = max(0.0, (datetime.now(UTC) - at).total_seconds())
    ok = pending <= max_pending and age <= max_age
    return {
        "ok": ok,
        "pending": pending,
        "pending_capped": pending > max_pending,
        "oldest_age_seconds": round(age, 1),
        "max_pending": max_pending,
        "max_age_seconds": max_age,
    }


#: How /healthz names each worker (the extension that holds its thread).
WORKER_NAMES = {
    "search_indexer_thread": "search_indexer",
    "deadline_thread": "deadlines",
    "mail_thread": "mail",
    "backup_thread": "backups",
    "extract_thread": "attachment_text",
}


def _workers() -> dict:
    """The background threads ``portal serve`` started, each alive or not."""
    from portal.workers import WORKERS

    out: dict = {"ok": True}
    for key, _start in WORKERS:
        name = WORKER_NAMES.get(key, key.removesuffix("_thread"))
        thread = current_app.extensions.get(key)
        if thread is None and current_app.config.get("WORKERS_IN_PARENT"):
            # A web process of `portal serve --workers N`: its parent runs them.
            out[name] = "in the serving parent"
        elif thread is None:
            out[name] = "not started"
        elif thread.is_alive():
            out[name] = "running"
        else:
            out[name] = "stopped"
            out["ok"] = False
    return out
