"""Configuration: defaults, then the instance file, then ``PORTAL_*`` environment
variables, then the overrides given to ``create_app`` (tests)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent

LANGUAGES = ("zh_Hans", "zh_Hant", "en")

DEFAULTS = {
    # Printed at the top of every Word form; unset = the name kept in the
    # database (the demo sets one), else "Records Portal".
    "ORGANISATION_NAME": None,
    # Where the embedded database, the search index and generated secrets live.
    "DATA_DIR": "var",
    # A MongoDB URI (a replica set in production); unset = the embedded server.
    "MONGODB_URI": None,
    "MONGODB_DB": "portal",
    # Milliseconds a request waits for a database that does not answer before
    # the portal says 503; unset = 1000 for the embedded server, 5000 otherwise.
    "MONGODB_TIMEOUT_MS": None,
    # The CLI attaches to the database of a running `portal serve`; `serve`
    # owns its embedded database, refuses a folder in use and restarts the
    # server if it dies.
    "EMBEDDED_DB_ATTACH": True,
    "EMBEDDED_DB_SUPERVISE": False,
    "SEARCH_INDEX_DIR": None,
    # "tantivy" (the default, the Rust engine) or "whoosh" (pure Python, for
    # small sites); switching rebuilds the index from the database.
    "SEARCH_ENGINE": "tantivy",
    # "background": a thread applies saved changes to the index within a
    # second; "manual": only `portal reindex` and explicit calls do (tests).
    "SEARCH_INDEXER": "background",
    # Whoosh only: seconds a search may spend collecting hits; past it the
    # results found so far are shown with their counts as "at least" (0 = no
    # limit). Tantivy runs a query in Rust and cannot stop it midway; its
    # queries take tens of milliseconds at a million records, always whole.
    "SEARCH_TIME_LIMIT": 0.1,
    # Minutes between checks that raise the severity of unresolved complaints
    # as time passes (0 = never; tests call the rule themselves).
    "DEADLINE_CHECK_MINUTES": 10,
    # /healthz answers 503 ("degraded") when more saved changes than this wait
    # for the search index, or the oldest has waited longer than this.
    "HEALTH_OUTBOX_MAX_PENDING": 1000,
    "HEALTH_OUTBOX_MAX_AGE_SECONDS": 300,
    # E-mail (portal/workers/mail.py). The absolute address links in messages start with.
    "BASE_URL": "http://127.0.0.1:5000",
    # Unset SMTP_HOST = nothing is sent; administrators read the messages on
    # the "Outgoing e-mail" page.
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT": 10,
    "MAIL_FROM": "records-portal@localhost",
    # Seconds between rounds of the mail worker `portal serve` starts (0 = none).
    "MAIL_SEND_SECONDS": 30,
    # A deadline this near is told to its handler once.
    "MAIL_DUE_SOON_HOURS": 24,
    # Seconds a message claimed by a sender is kept from the others: longer
    # than one SMTP exchange (SMTP_TIMEOUT). A sender that died mid-message
    # is replaced after this long (portal/workers/mail.py).
    "MAIL_CLAIM_SECONDS": 120,
    # Scheduled backups (portal/workers/backups.py): unset BACKUP_DIR = none.
    # Every day at BACKUP_AT (local time, HH:MM) one archive is written into
    # BACKUP_DIR by one node of the deployment; the newest BACKUP_KEEP stay.
    "BACKUP_DIR": None,
    "BACKUP_AT": "02:00",
    "BACKUP_KEEP": 14,
    "HOST": "127.0.0.1",
    "PORT": 5000,
    "THREADS": 8,
    # Web processes of `portal serve` (its --workers): each has THREADS threads.
    "WEB_PROCESSES": 1,
    "BABEL_DEFAULT_LOCALE": "zh_Hans",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
    "LANGUAGES": LANGUAGES,
    # Failed logins: after this many within the window the account key is
    # locked for LOGIN_LOCK_MINUTES (known and unknown user names alike).
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    "LOGIN_LOCK_MINUTES": 15,
    "PASSWORD_MIN_LENGTH": 10,
    # argon2id cost of password hashes (argon2-cffi's defaults, RFC 9106's
    # low-memory choice); only the tests lower them, to hash in a millisecond.
    "PASSWORD_HASH_TIME_COST": 3,
    "PASSWORD_HASH_MEMORY_KIB": 64 * 1024,
    "PASSWORD_HASH_PARALLELISM": 4,
    # Request limits: forms are small; uploads (attachments, Word templates,
    # imports) get ATTACHMENT_MAX_BYTES instead (portal/security.py).
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 512 * 1024,
    "MAX_FORM_PARTS": 200,
    "ATTACHMENT_MAX_BYTES": 20 * 1024 * 1024,
    # Reading attachments' text (portal/workers/extract.py): seconds between
    # looks for new files (0 = no reader), and what one file may cost.
    "EXTRACT_POLL_SECONDS": 2,
    "EXTRACT_TIMEOUT_SECONDS": 600,
    "EXTRACT_MEMORY_MB": 2048,
    "EXTRACT_MAX_PAGES": 200,
    "EXTRACT_MAX_OCR_PAGES": 30,
    "SESSION_COOKIE_NAME": "portal_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    # A form may stay open as long as the session lasts without losing the edit.
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "WTF_CSRF_SSL_STRICT": True,
    "SECRET_KEY": None,
    # Authenticates the audit trail and the record versions (HMAC); unset =
    # generated into <data dir>/audit-key. Keep it out of the database's reach.
    "AUDIT_KEY": None,
    # Where checkpoints of the audit head are appended (JSON lines); unset =
    # <data dir>/audit-checkpoints.jsonl.
    "AUDIT_CHECKPOINTS": None,
}


def load_config(app: Flask, overrides: dict | None = None) -> None:
    """Fill ``app.config`` in the documented order and resolve derived values."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile(os.path.join(app.instance_path, "portal.cfg"), silent=True)
    app.config.from_prefixed_env("PORTAL")
    if overrides:
        app.config.from_mapping(overrides)

    config = app.config
    data_dir = Path(config["DATA_DIR"]).expanduser()
    if not data_dir.is_absolute():
        data_dir = Path.cwd() / data_dir
    config["DATA_DIR"] = str(data_dir)
    if not config["SEARCH_INDEX_DIR"]:
        config["SEARCH_INDEX_DIR"] = str(data_dir / "search-index")
    if config["MONGODB_TIMEOUT_MS"]:
        config["MONGODB_TIMEOUT_MS"] = int(config["MONGODB_TIMEOUT_MS"])
    for key in (
        "PORT",
        "THREADS",
        "WEB_PROCESSES",
        "LOGIN_MAX_FAILURES",
        "LOGIN_LOCK_MINUTES",
        "PASSWORD_HASH_TIME_COST",
        "PASSWORD_HASH_MEMORY_KIB",
        "PASSWORD_HASH_PARALLELISM",
        "HEALTH_OUTBOX_MAX_PENDING",
        "HEALTH_OUTBOX_MAX_AGE_SECONDS",
        "EXTRACT_TIMEOUT_SECONDS",
        "EXTRACT_MEMORY_MB",
        "EXTRACT_MAX_PAGES",
        "EXTRACT_MAX_OCR_PAGES",
    ):
        config[key] = int(config[key])
    config["EXTRACT_POLL_SECONDS"] = float(config["EXTRACT_POLL_SECONDS"] or 0)
    config["SEARCH_TIME_LIMIT"] = float(config["SEARCH_TIME_LIMIT"] or 0)
    config["DEADLINE_CHECK_MINUTES"] = float(config["DEADLINE_CHECK_MINUTES"] or 0)
    if config["SEARCH_ENGINE"] not in ("tantivy", "whoosh"):
        raise ValueError(
            f"PORTAL_SEARCH_ENGINE must be 'tantivy' or 'whoosh', not {config['SEARCH_ENGINE']!r}"
        )
    for key in ("SMTP_PORT", "SMTP_TIMEOUT"):
        config[key] = int(config[key])
    for key in ("MAIL_SEND_SECONDS", "MAIL_DUE_SOON_HOURS", "MAIL_CLAIM_SECONDS"):
        config[key] = float(config[key] or 0)
    config["BACKUP_KEEP"] = int(config["BACKUP_KEEP"])
    if config["BACKUP_KEEP"] < 1:
        raise ValueError("PORTAL_BACKUP_KEEP must be at least 1")
    from portal.workers.backups import parse_at

    parse_at(config["BACKUP_AT"])  # a typo fails at start, not at 2 a.m.
    config["SMTP_STARTTLS"] = str(config["SMTP_STARTTLS"]).lower() in ("1", "true", "yes")
    if config["SEARCH_INDEXER"] not in ("background", "manual"):
        raise ValueError(
            "PORTAL_SEARCH_INDEXER must be 'background' or 'manual', "
            f"not {config['SEARCH_INDEXER']!r}"
        )
    if config["SECRET_KEY"] is not None:
        # from_prefixed_env parses JSON, so a numeric key arrives as an int.
        config["SECRET_KEY"] = str(config["SECRET_KEY"])
    else:
        config["SECRET_KEY"] = kept_secret_key(data_dir)
    if config["AUDIT_KEY"] is not None:
        config["AUDIT_KEY"] = str(config["AUDIT_KEY"])
    else:
        config["AUDIT_KEY"] = kept_secret_key(data_dir, "audit-key")
    if not config["AUDIT_CHECKPOINTS"]:
        config["AUDIT_CHECKPOINTS"] = str(data_dir / "audit-checkpoints.jsonl")


def kept_secret_key(data_dir: Path, name: str = "secret-key") -> str:
    """The secret ``name`` kept in the data directory, generated on first use."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / name
    if not path.exists():
        # Written aside and linked into place, so two processes starting at
        # once agree on one key and neither reads a half-written file.
        scratch = data_dir / f".{name}.{os.getpid()}"
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    return path.read_text().strip()
