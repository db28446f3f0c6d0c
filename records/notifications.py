"""Who is told what by e-mail: the notices a change calls for, queued in the
``mail_outbox`` collection inside the change's own transaction (so a write
that rolls back queues nothing and a committed one loses nothing), and the
deadline notices found by a periodic scan.

A message holds only what anyone told of the record may read: its number,
type, state, title (unless the title is a confidential field), due time and
the numbers it refers to; never a field's value beyond those. The portal
renders it in the recipient's language when it sends or shows it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from records.clock import utcnow
from records.i18n import N_
from records.roles import APPROVER, CONTROLLER, DIRECTOR, TECHNICAL_MANAGER
from records.types import registry

COLLECTION = "mail_outbox"
DEFAULT_LOCALE = "zh_Hans"

#: The kinds of notice, each with the label people see on My account.
KINDS = {
    "dispatched": N_("A complaint is dispatched to me"),
    "due_soon": N_("A deadline of mine is near"),
    "overdue": N_("A deadline of mine has passed"),
    "reminder": N_("An overdue reminder is issued to my department"),
    "approval": N_("An approval waits for me"),
    "rejected": N_("A customer rejects a result"),
}

#: A message's status: waiting (also between retries), sent, or refused for
#: good by the SMTP server (an unknown address).
PENDING, SENT, UNDELIVERABLE = "pending", "sent", "undeliverable"


def _title_of(doc: dict) -> str | None:
    record_type = registry.get(doc["type"])
    if record_type is None or not record_type.title_field:
        return None
    spec = record_type.field(record_type.title_field)
    if spec is None or spec.confidential:
        return None
    return doc.get("title") or None


def _params(doc: dict, **extra) -> dict:
    params = {
        "number": doc["number"],
        "type": doc["type"],
        "state": doc.get("state"),
        "title": _title_of(doc),
    }
    params.update({k: v for k, v in extra.items() if v is not None})
    return params


def _people(db, session, query: dict) -> list[dict]:
    query = {**query, "active": True, "email": {"$nin": [None, ""]}}
    return list(
        db.users.find(
            query, {"username": 1, "email": 1, "locale": 1, "mail_off": 1}, session=session
        )
    )


def _queue(
    db,
    session,
    kind: str,
    people: list[dict],
    doc: dict,
    params: dict,
    key: str,
    *,
    skip: str | None = None,
    now: datetime | None = None,
) -> int:
    """A message of ``kind`` to each of ``people`` who has not turned it off;
    ``key`` (with the username) makes each message once."""
    now = now or utcnow()
    queued = 0
    seen = set()
    for person in people:
        username = person["username"]
        if username == skip or username in seen or kind in (person.get("mail_off") or ()):
            continue
        seen.add(username)
        entry = {
            "key": f"{key}:{username}",
            "notice": key,
            "kind": kind,
            "username": username,
            "to": person["email"],
            "locale": person.get("locale") or DEFAULT_LOCALE,
            "params": params,
            "record_id": doc.get("_id"),
            "status": PENDING,
            "attempts": 0,
            "created_at": now,
            "next_try_at": now,
            "claimed_until": None,
            "sent_at": None,
            "last_error": None,
        }
        if session is not None:
            # Inside a transaction a duplicate key would abort the whole
            # change: look first (keys of transitions carry the version, so
            # they do not repeat anyway).
            if db[COLLECTION].find_one({"key": entry["key"]}, {"_id": 1}, session=session):
                continue
            db[COLLECTION].insert_one(entry, session=session)
        else:
            try:
                db[COLLECTION].insert_one(entry)
            except DuplicateKeyError:
                continue
        queued += 1
    return queued


def _approvers(db, session, doc: dict) -> list[dict]:
    """Who may approve ``doc`` now: for complaints, the director for major
    ones and the director or the technical manager for the others."""
    query: dict = {"roles": APPROVER}
    if doc["type"] == "complaint_sheet":
        if (doc.get("data") or {}).get("severity") == "major":
            query["positions"] = DIRECTOR
        else:
            query["positions"] = {"$in": [DIRECTOR, TECHNICAL_MANAGER]}
    return _people(db, session, query)


def _last_transition(doc: dict) -> str | None:
    """The step this write took, if it was one (its history entry is stamped
    with the write's own time)."""
    history = doc.get("history") or []
    if history and history[-1].get("at") == doc.get("updated_at"):
        return history[-1].get("transition")
    return None


def queue_for_change(db, session, doc: dict, op: str = "upsert") -> int:
    """The notices a write of ``doc`` calls for, in the write's transaction."""
    if op == "delete" or "number" not in doc or "type" not in doc:
        return 0
    actor = doc.get("updated_by")
    version = doc.get("version")
    base_key = f"{doc['number']}:{version}"
    if doc["type"] == "overdue_reminder" and version == 1:
        data = doc.get("data") or {}
        item = (
            db.records.find_one(
                {"number": data.get("item")}, {"handler": 1, "number": 1}, session=session
            )
            or {}
        )
        people = []
        if item.get("handler"):
            people += _people(db, session, {"username": item["handler"]})
        department = db.departments.find_one(
            {"code": data.get("department")}, {"_id": 1}, session=session
        )
        if department is not None:
            people += _people(db, session, {"department": department["_id"]})
        return _queue(
            db,
            session,
            "reminder",
            people,
            doc,
            _params(doc, item=data.get("item"), due=data.get("due")),
            f"reminder:{base_key}",
            skip=actor,
        )
    transition = _last_transition(doc)
    if transition is None:
        return 0
    record_type = registry.get(doc["type"])
    if record_type is None:
        return 0
    if transition in ("dispatch", "redispatch") and doc.get("handler"):
        return _queue(
            db,
            session,
            "dispatched",
            _people(db, session, {"username": doc["handler"]}),
            doc,
            _params(doc, due_at=doc.get("due_at")),
            f"dispatched:{base_key}",
            skip=actor,
        )
    if transition == "reject" and (doc.get("data") or {}).get("reopened_as"):
        return _queue(
            db,
            session,
            "rejected",
            _people(db, session, {"roles": CONTROLLER}),
            doc,
            _params(doc, reopened_as=doc["data"]["reopened_as"]),
            f"rejected:{base_key}",
            skip=actor,
        )
    # A state in which an approver has a signed step to take: an approval waits.
    waiting = [
        t
        for t in record_type.workflow.available(doc["state"])
        if t.signature and APPROVER in t.roles
    ]
    if waiting:
        return _queue(
            db,
            session,
            "approval",
            _approvers(db, session, doc),
            doc,
            _params(doc),
            f"approval:{base_key}",
            skip=actor,
        )
    return 0


def queue_deadline_notices(db, now: datetime | None = None, soon_hours: float = 24) -> int:
    """Tell each handler once that a deadline is near, and once that it has
    passed (a new deadline is told again). For the mail worker's rounds."""
    now = now or utcnow()
    horizon = now + timedelta(hours=soon_hours)
    # The due time alone in the filter: the (due_at) index answers it (with
    # the handler in it too the embedded server's planner scans everything).
    wanted = {}
    for doc in db.records.find(
        {"due_at": {"$lt": horizon}},
        {"number": 1, "type": 1, "state": 1, "title": 1, "handler": 1, "due_at": 1, "due_kind": 1},
    ).limit(5000):
        if not doc.get("handler"):
            continue
        kind = "overdue" if doc["due_at"] < now else "due_soon"
        wanted[f"{kind}:{doc['number']}:{doc['due_at'].isoformat()}"] = (kind, doc)
    if not wanted:
        return 0
    # Every round sees the same overdue records again: one query finds the
    # notices already queued, so only new ones cost anything.
    told = {
        entry["notice"]
        for entry in db[COLLECTION].find({"notice": {"$in": list(wanted)}}, {"notice": 1})
    }
    queued = 0
    for notice, (kind, doc) in wanted.items():
        if notice in told:
            continue
        # Stamped with the real time, not ``now``: a scan as of a moment to
        # come (a test, a catch-up) queues messages that are due at once.
        queued += _queue(
            db,
            None,
            kind,
            _people(db, None, {"username": doc["handler"]}),
            doc,
            _params(doc, due_at=doc["due_at"], due_kind=doc.get("due_kind")),
            notice,
        )
    return queued
