"""A change under way: what the type's rules see of it (:class:`Change`),
the checks every change passes beyond each field's own (references,
departments) and what the record keeps at top level for lists and scoping
(:func:`derived_fields`). The operations (:mod:`records.operations`) build
and write changes; nothing here writes.
"""

from __future__ import annotations

from records.access import Actor, may_file_in
from records.calendar import WorkingCalendar
from records.clock import utcnow
from records.deadlines import due_for
from records.errors import InvalidData, PermissionDenied
from records.i18n import N_
from records.types import FieldValueError, RecordType, check_required, clean_data
from records.workflow import Transition

#: Top-level fields kept from the data and the type's rules (see derived_fields).
DERIVED = (
    "handler",
    "people",
    "refs",
    "flags",
    "department",
    "due_at",
    "due_kind",
    "due_uncovered",
)


def validated(record_type: RecordType, data: dict, *, partial: bool) -> dict:
    """``data`` cleaned by the type's fields, or :class:`InvalidData`."""
    try:
        return clean_data(record_type, data, partial=partial)
    except FieldValueError as error:
        raise InvalidData(error.message, field=error.field, **error.params) from None


def require(record_type: RecordType, data: dict, names=None) -> None:
    """The fields ``names`` (default: the required ones) have values, or
    :class:`InvalidData` naming the first that has none."""
    try:
        check_required(record_type, data, names)
    except FieldValueError as error:
        raise InvalidData(error.message, field=error.field) from None


class Change:
    """One change under way, as the type's rules see it (inside the transaction)."""

    def __init__(
        self,
        db,
        session,
        *,
        actor: Actor,
        record_type: RecordType,
        old: dict | None,
        data: dict,
        state: str,
        transition: Transition | None = None,
        now=None,
        comment: str | None = None,
    ):
        self.db = db
        self.comment = comment
        self.session = session
        self.actor = actor
        self.record_type = record_type
        self.old = old
        self.data = data
        self.state = state
        self.transition = transition
        self.now = now or utcnow()
        #: Top-level values the rules keep with the record (``flags``).
        self.flags = dict((old or {}).get("flags") or {})
        self._calendar: WorkingCalendar | None = None

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = WorkingCalendar.load(self.db, self.session)
        return self._calendar

    @property
    def old_data(self) -> dict:
        return (self.old or {}).get("data") or {}


def check_references(change: Change) -> None:
    """Departments, users and record numbers named in the data exist."""
    db, session = change.db, change.session
    for spec in change.record_type.fields:
        value = change.data.get(spec.name)
        if not value or value == change.old_data.get(spec.name):
            continue
        if spec.kind == "department":
            if not db.departments.find_one({"code": value, "active": True}, session=session):
                raise InvalidData(
                    N_("There is no department %(code)s."), field=spec.name, code=value
                )
        elif spec.kind == "user":
            if not db.users.find_one({"username": value, "active": True}, session=session):
                raise InvalidData(N_("There is no user %(name)s."), field=spec.name, name=value)
        elif spec.kind == "record":
            query = {"number": value}
            if spec.ref_types:
                query["type"] = {"$in": list(spec.ref_types)}
            if not db.records.find_one(query, {"_id": 1}, session=session):
                raise InvalidData(
                    N_("There is no record %(number)s."), field=spec.name, number=value
                )


def derived_fields(change: Change, doc: dict) -> dict:
    """What the record keeps at top level for lists and scoping: who handles
    it, who may see it, what it refers to, what is due when."""
    record_type = change.record_type
    data = doc.get("data") or {}
    handler = data.get(record_type.handler_field) if record_type.handler_field else None
    people = sorted({p for p in (doc.get("created_by"), handler) if p})
    refs = sorted(
        {data[f.name] for f in record_type.fields if f.kind == "record" and data.get(f.name)}
    )
    derived = {
        "handler": handler,
        "people": people,
        "refs": refs,
        "flags": change.flags,
        "due_at": None,
        "due_kind": None,
        "due_uncovered": [],
    }
    department_field = record_type.field("department")
    if (
        department_field is not None
        and department_field.kind == "department"
        and data.get("department")
    ):
        derived["department"] = data["department"]
    # The calendar is read only when a deadline applies in this state.
    applies = any(doc["state"] in d.states for d in record_type.deadlines)
    due = due_for(record_type, doc, change.calendar) if applies else None
    if due is not None:
        derived.update(due.as_fields())
    return derived


def check_department(actor: Actor, doc: dict, old: dict | None = None) -> None:
    """Staff keep records in their own department: neither a new record nor a
    change of theirs may file it in another one (a rule of the procedures may)."""
    moved = old is None or doc.get("department") != old.get("department")
    if moved and not may_file_in(actor, doc.get("department")):
        raise PermissionDenied(N_("Staff create records for their own department only."))


def text_or_none(value, field: str) -> str | None:
    """A comment or a reason: text or nothing, never a list or an object."""
    if value is None or isinstance(value, str):
        return value
    raise InvalidData(N_("Expected text."), field=field)


def title_of(record_type: RecordType, data: dict) -> str:
    """The record's title in lists and search: its title field, cut short."""
    return str(data.get(record_type.title_field) or "")[:200]
