"""The database connection: MongoDB at ``MONGODB_URI``, or the embedded server."""

from __future__ import annotations

import atexit
import logging
import re
import time
from pathlib import Path

import mongoengine
import pymongo
from flask import Flask
from pymongo.errors import ConfigurationError, ConnectionFailure, OperationFailure

from portal.database.embedded import EmbeddedDatabase
from portal.models import DOCUMENTS as ACCOUNT_DOCUMENTS
from records.models import DOCUMENTS as RECORD_DOCUMENTS

log = logging.getLogger(__name__)

# MongoDB's codes for a refused log-in and for a user without rights.
AUTH_FAILED = {18, 13}


class DatabaseUnavailable(RuntimeError):
    """The database cannot be used at start; the message says what to do."""


def init_app(app: Flask) -> None:
    """Connect mongoengine, starting the embedded database if no URI is set."""
    uri = app.config["MONGODB_URI"]
    embedded = None
    if not uri:
        embedded = EmbeddedDatabase(
            Path(app.config["DATA_DIR"]) / "db",
            attach=app.config["EMBEDDED_DB_ATTACH"],
            supervise=app.config["EMBEDDED_DB_SUPERVISE"],
        )
        uri = embedded.start()
        app.extensions["embedded_db"] = embedded
        atexit.register(embedded.stop)
    timeout_ms = app.config["MONGODB_TIMEOUT_MS"] or (1000 if embedded else 5000)
    try:
        connect(uri, app.config["MONGODB_DB"], timeout_ms)
        check_server(uri)
        ensure_indexes()
    except DatabaseUnavailable:
        stop_embedded(app)
        raise
    except (ConnectionFailure, OperationFailure) as error:
        stop_embedded(app)
        raise DatabaseUnavailable(explain(error, uri)) from None


def connect(uri: str, db: str, timeout_ms: int = 5000) -> None:
    """Connect mongoengine. A database that is away fails a request within
    ``timeout_ms`` (the portal answers 503) instead of holding it."""
    mongoengine.disconnect()
    try:
        mongoengine.connect(
            db=db,
            host=uri,
            uuidRepresentation="standard",
            tz_aware=False,
            serverSelectionTimeoutMS=timeout_ms,
            # Also the monitor's wait for an answer: a server busy for a
            # moment must not be taken for one that is gone.
            connectTimeoutMS=5000,
        )
    except (ConfigurationError, ValueError) as error:
        raise DatabaseUnavailable(
            f"PORTAL_MONGODB_URI {redact(uri)!r} is not a usable MongoDB URI ({error}); "
            "fix it (mongodb://host:port/?replicaSet=name) or unset it to use the "
            "embedded database."
        ) from None


def redact(uri: str) -> str:
    """The URI without its password, for messages."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", uri)


def explain(error: Exception, uri: str) -> str:
    """One line saying why the database at ``uri`` cannot be used, and what to do."""
    if isinstance(error, OperationFailure) and error.code in AUTH_FAILED:
        reason = (error.details or {}).get("errmsg") or str(error)
        return (
            f"The database at {redact(uri)} refused the log-in ({reason}): check the "
            "user name, password and authSource in PORTAL_MONGODB_URI."
        )
    if isinstance(error, ConnectionFailure):
        reason = str(error).split(",")[0].split(" (configured timeouts")[0]
        return (
            f"Cannot reach the database at {redact(uri)} ({reason}): start MongoDB or "
            "correct PORTAL_MONGODB_URI (unset it to use the embedded database)."
        )
    return f"The database at {redact(uri)} cannot be used: {error}"


def check_server(uri: str) -> None:
    """Fail with one clear line unless the server answers and can run transactions."""
    hello = mongoengine.get_db().command("hello")
    if not hello.get("setName") and hello.get("msg") != "isdbgrid":
        raise DatabaseUnavailable(
            f"The MongoDB server at {redact(uri)} is not part of a replica set, and the "
            "portal saves every change in a transaction, which needs one: start mongod "
            "with --replSet rs0, run rs.initiate() once (a single-node replica set is "
            "fine) and add ?replicaSet=rs0 to PORTAL_MONGODB_URI."
        )
    # A log-in is checked by the first command that needs rights.
    mongoengine.get_db().list_collection_names()


def ensure_indexes() -> None:
    """Create every collection's indexes (idempotent)."""
    for document in (*ACCOUNT_DOCUMENTS, *RECORD_DOCUMENTS):
        document.ensure_indexes()
    from records import extraction

    extraction.ensure_indexes(mongoengine.get_db())


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
