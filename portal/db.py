"""The database connection: MongoDB at ``MONGODB_URI``, or the embedded server."""

from __future__ import annotations

import atexit
import logging
import time
from pathlib import Path

import mongoengine
import pymongo
from flask import Flask

from portal.embedded_db import EmbeddedDatabase
from portal.models import DOCUMENTS as ACCOUNT_DOCUMENTS
from records.models import DOCUMENTS as RECORD_DOCUMENTS

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Connect mongoengine, starting the embedded database if no URI is set."""
    uri = app.config["MONGODB_URI"]
    if not uri:
        embedded = EmbeddedDatabase(Path(app.config["DATA_DIR"]) / "db")
        uri = embedded.start()
        app.extensions["embedded_db"] = embedded
        atexit.register(embedded.stop)
    connect(uri, app.config["MONGODB_DB"])
    ensure_indexes()


def connect(uri: str, db: str) -> None:
    mongoengine.disconnect()
    mongoengine.connect(
        db=db,
        host=uri,
        uuidRepresentation="standard",
        tz_aware=False,
        serverSelectionTimeoutMS=5000,
    )


def ensure_indexes() -> None:
    """Create every collection's indexes (idempotent)."""
    for document in (*ACCOUNT_DOCUMENTS, *RECORD_DOCUMENTS):
        document.ensure_indexes()


def stop_embedded(app: Flask) -> None:
    """Stop the embedded database this app started, if any."""
    embedded = app.extensions.pop("embedded_db", None)
    if embedded is not None:
        mongoengine.disconnect()
        embedded.stop()


def ping(timeout: float = 1.0) -> float:
    """Round-trip time of a ping to the database in milliseconds."""
    started = time.perf_counter()
    with pymongo.timeout(timeout):
        mongoengine.get_db().command("ping")
    return (time.perf_counter() - started) * 1000
