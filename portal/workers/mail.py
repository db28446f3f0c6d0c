"""E-mail from the outbox (``mail_outbox``, filled by :mod:`records.notifications`):
rendered in each recipient's language, sent with smtplib, retried with
backoff while the SMTP server is away, and never sent twice by two senders.

Two guards, one inside the other. The sending rounds run on the one node that
holds the ``mail`` lease (:mod:`records.leases`). And each message is claimed
before it is sent: an atomic ``find_one_and_update`` sets ``claim`` (this
node, process and round) and ``claimed_until`` on a pending message whose
claim is unset or expired, so even two senders running at once (a holder
paused past its lease) never hold the same message; the message is marked
sent only under its own claim.

Delivery is at least once, not exactly once. Exactly once across a crash
cannot be had with SMTP: the server's "250 accepted" and our "sent" mark are
two writes on two machines. A sender that dies after the SMTP server
accepted a message and before the mark was written (a window of one
database write, milliseconds) leaves it claimed; once the claim expires
(``MAIL_CLAIM_SECONDS``) it is sent again, with the same Message-ID, so a
receiving system that removes duplicates by Message-ID shows it once. Every
other crash (before DATA ends, while the server is away, between messages)
loses nothing and sends nothing twice. Without PORTAL_SMTP_HOST nothing is
sent: administrators read the messages on the "Outgoing e-mail" page instead.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app
from flask_babel import force_locale, format_datetime, gettext
from pymongo import ReturnDocument

from portal.workers import start_polling
from portal.workers.rounds import RoundThread
from records.clock import utcnow
from records.leases import node_holder
from records.notifications import (
    COLLECTION,
    PENDING,
    SENT,
    UNDELIVERABLE,
    queue_deadline_notices,
)
from records.store import database
from records.types import registry

log = logging.getLogger(__name__)

#: The lease of the sending rounds.
LEASE = "mail"
#: Backoff after a failed attempt: 30 s doubling to at most an hour.
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600


def record_link(base_url: str, entry: dict) -> str:
    """The absolute address of the record a message is about."""
    params = entry.get("params") or {}
    return (
        f"{base_url.rstrip('/')}/admin/records_{params.get('type')}/details/"
        f"?id={entry.get('record_id')}"
    )


def _when(value) -> str:
    return format_datetime(value, "medium") if value else ""


def render(entry: dict, base_url: str) -> tuple[str, str]:
    """Subject and body of ``entry`` in its recipient's language (inside an
    app context)."""
    params = dict(entry.get("params") or {})
    kind = entry.get("kind")
    config = current_app.config
    # A language the portal does not have (set by hand, since removed) falls
    # back to the default rather than failing the message.
    locale = entry.get("locale")
    if locale not in config["LANGUAGES"]:
        locale = config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        record_type = registry.get(params.get("type"))
        state_label = record_type.workflow.states.get(params.get("state")) if record_type else None
        values = {
            "number": params.get("number") or "",
            "type": record_type.title(locale) if record_type else params.get("type") or "",
            "title": params.get("title") or "",
            # Never gettext(""): that answers the catalog's header.
            "state": gettext(state_label) if state_label else "",
            "due": _when(params.get("due_at")) or params.get("due") or "",
            "item": params.get("item") or "",
            "reopened_as": params.get("reopened_as") or "",
        }
        subjects = {
            "dispatched": gettext("%(type)s %(number)s is dispatched to you", **values),
            "due_soon": gettext("%(number)s is due by %(due)s", **values),
            "overdue": gettext("%(number)s is overdue since %(due)s", **values),
            "reminder": gettext("Overdue reminder %(number)s: %(item)s", **values),
            "approval": gettext("%(type)s %(number)s waits for your approval", **values),
            "rejected": gettext(
                "The customer rejects %(number)s: new sheet %(reopened_as)s", **values
            ),
        }
        leads = {
            "dispatched": gettext(
                "You are the handler of %(type)s %(number)s. The handling plan is due by %(due)s.",
                **values,
            ),
            "due_soon": gettext(
                "The deadline of %(type)s %(number)s, which you handle, is %(due)s.", **values
            ),
            "overdue": gettext(
                "The deadline of %(type)s %(number)s, which you handle, passed at %(due)s.",
                **values,
            ),
            "reminder": gettext(
                "Your department is reminded that %(item)s is overdue (due "
                "%(due)s). Please answer the reminder.",
                **values,
            ),
            "approval": gettext("%(type)s %(number)s waits for your approval.", **values),
            "rejected": gettext(
                "The customer rejected the result of %(number)s; it is "
                "reopened as the new sheet %(reopened_as)s.",
                **values,
            ),
        }
        subject = subjects.get(kind, values["number"])
        lines = [leads.get(kind, "")]
        if values["title"]:
            lines.append(gettext("Summary: %(title)s", **values))
        if values["state"]:
            lines.append(gettext("State: %(state)s", **values))
        lines += [
            "",
            gettext("Open the record:"),
            record_link(base_url, entry),
            "",
            gettext("You can turn these messages off on My account."),
        ]
    return subject, "\n".join(lines)


def smtp_configured(config) -> bool:
    return bool(config.get("SMTP_HOST"))


def _message(entry: dict, config) -> EmailMessage:
    subject, body = render(entry, config["BASE_URL"])
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = formataddr(("", entry["to"]))
    # One id per outbox entry, the same on every attempt: should a message
    # ever go out twice (sent, then the portal died before marking it), the
    # receiving side sees one message.
    message["Message-ID"] = f"<{entry['_id']}@records-portal>"
    message.set_content(body)
    return message


def _connect(config) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
    try:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(str(config["SMTP_USER"]), str(config["SMTP_PASSWORD"] or ""))
    except BaseException:
        smtp.close()
        raise
    return smtp


@dataclass
class Round:
    queued: int = 0
    sent: int = 0
    failed: int = 0


def claim(db, now, token: str, seconds: float) -> dict | None:
    """The oldest message due, claimed by ``token`` for ``seconds``.

    ``seconds`` must comfortably exceed one SMTP exchange (its timeout): a
    claim that expires while its message is still being sent lets a second
    sender send it too."""
    return db[COLLECTION].find_one_and_update(
        {
            "status": PENDING,
            "next_try_at": {"$lte": now},
            "$or": [{"claimed_until": None}, {"claimed_until": {"$lt": now}}],
        },
        {"$set": {"claimed_until": now + timedelta(seconds=seconds), "claim": token}},
        sort=[("next_try_at", 1)],
        return_document=ReturnDocument.AFTER,
    )


def send_due(app, limit: int = 200, now=None, keep_going=None) -> Round:
    """One round: queue the deadline notices due at ``now`` (default: now),
    then send what waits (if SMTP is configured). For the worker thread and
    `portal mail send`. ``keep_going`` is asked before each message (the
    worker's lease): False ends the round."""
    config = app.config
    result = Round()
    with app.app_context():
        db = database()
        result.queued = queue_deadline_notices(db, now or utcnow(), config["MAIL_DUE_SOON_HOURS"])
        if not smtp_configured(config):
            return result
        smtp = None
        # Who holds the claim: this node and process (for the administrators'
        # page and the logs) and this round.
        token = f"{node_holder()}:{secrets.token_hex(4)}"
        try:
            for _ in range(limit):
                if keep_going is not None and not keep_going():
                    break
                now = utcnow()
                entry = claim(db, now, token, config["MAIL_CLAIM_SECONDS"])
                if entry is None:
                    break
                try:
                    if smtp is None:
                        smtp = _connect(config)
                    smtp.send_message(_message(entry, config))
                except (
                    smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPSenderRefused,
                    smtplib.SMTPDataError,
                ) as error:
                    # The server works but refuses this message for good (an
                    # unknown address answers 5xx): it is kept as undeliverable
                    # for the administrators' page, and the round goes on.
                    permanent = _permanent(error)
                    _failed(db, entry, token, now, error, permanent=permanent)
                    result.failed += 1
                    if not permanent:
                        break
                    continue
                except (OSError, smtplib.SMTPException) as error:
                    _failed(db, entry, token, now, error)
                    result.failed += 1
                    # A server that cannot be reached is down: the rest wait
                    # for the next round rather than failing too.
                    if smtp is not None:
                        _close(smtp)
                        smtp = None
                    break
                db[COLLECTION].update_one(
                    {"_id": entry["_id"], "claim": token},
                    {
                        "$set": {
                            "status": SENT,
                            "sent_at": utcnow(),
                            "claimed_until": None,
                            "last_error": None,
                        },
                        "$inc": {"attempts": 1},
                    },
                )
                result.sent += 1
        finally:
            if smtp is not None:
                _close(smtp)
    return result


def _permanent(error) -> bool:
    """Whether the server refused for good (5xx) rather than for now (4xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return getattr(error, "smtp_code", 0) >= 500


def _failed(db, entry, token, now, error, *, permanent: bool = False) -> None:
    attempts = (entry.get("attempts") or 0) + 1
    delay = min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
    log.warning("sending mail %s failed (attempt %d): %s", entry["_id"], attempts, error)
    update = {
        "attempts": attempts,
        "next_try_at": now + timedelta(seconds=delay),
        "claimed_until": None,
        "last_error": str(error)[:500],
    }
    if permanent:
        update["status"] = UNDELIVERABLE
    db[COLLECTION].update_one({"_id": entry["_id"], "claim": token}, {"$set": update})


def _close(smtp) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


class MailThread(RoundThread):
    """Runs :func:`send_due` every ``seconds`` on the node holding the
    ``mail`` lease, while `portal serve` or `portal worker` runs."""

    def __init__(self, app, seconds: float):
        super().__init__(app, "mail", seconds, lease_name=LEASE)

    def round(self, lease) -> None:
        sent = send_due(self.app, keep_going=self.keep_going)
        if sent.sent or sent.failed:
            log.info("mail: %d sent, %d failed", sent.sent, sent.failed)


def start_mail_thread(app) -> MailThread | None:
    """Start the mail worker (by `portal serve`, never by create_app)."""
    return start_polling(app, MailThread, "MAIL_SEND_SECONDS")
