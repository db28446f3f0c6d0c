"""What document controllers change about a type in the back office: its
edition, numbering pattern and retention. Each change is versioned and audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from records import audit
from records.access import Actor
from records.clock import utcnow
from records.errors import InvalidData, NotFound, PermissionDenied
from records.i18n import N_
from records.permissions import MANAGE_FORMS
from records.store import database, unit_of_work
from records.types import RecordType, TypeDeclarationError, check_pattern, registry


@dataclass(frozen=True)
class Effective:
    """A type's settings in force: its declaration overlaid with changes."""

    edition: str
    numbering_pattern: str
    retention_years: int
    revision: int
    #: The organisation's own code for the form (``GAEPC/QR-018``).
    form_code: str = ""

    @property
    def short_code(self) -> str:
        """``QR-018`` from ``GAEPC/QR-018``: the code used in record numbers."""
        return self.form_code.rsplit("/", 1)[-1]


def effective(record_type: RecordType, db=None, session=None) -> Effective:
    db = db if db is not None else database()
    stored = db.type_settings.find_one({"_id": record_type.name}, session=session) or {}
    return Effective(
        edition=stored.get("edition") or record_type.edition,
        numbering_pattern=stored.get("numbering_pattern") or record_type.numbering_pattern,
        retention_years=(
            stored["retention_years"]
            if stored.get("retention_years") is not None
            else record_type.retention.years
        ),
        revision=stored.get("revision", 0),
        form_code=stored.get("form_code") or record_type.form_code,
    )


class _Slot:
    """Stands for {year} or {seq} whatever their format: "{seq:04}" and
    "{seq}" give the same number once the sequence reaches 1000."""

    def __init__(self, name: str):
        self.name = name

    def __format__(self, spec: str) -> str:
        return f"\0{self.name}\0"


def number_shape(pattern: str, form_code: str) -> str:
    """What a type's numbers look like with its code filled in, so that two
    types whose numbers could be equal have equal shapes."""
    return pattern.format(
        code=form_code.rsplit("/", 1)[-1], form=form_code, year=_Slot("year"), seq=_Slot("seq")
    )


def pattern_clash(
    type_name: str, pattern: str, form_code: str, db=None, session=None
) -> RecordType | None:
    """Another type whose numbers ``pattern`` (with ``form_code``) could repeat."""
    shape = number_shape(pattern, form_code)
    for other in registry:
        if other.name == type_name:
            continue
        theirs = effective(other, db, session)
        if number_shape(theirs.numbering_pattern, theirs.form_code) == shape:
            return other
    return None


def update_type_settings(
    actor: Actor,
    type_name: str,
    *,
    edition: str,
    numbering_pattern: str,
    retention_years: int,
    reason: str,
    form_code: str | None = None,
) -> Effective:
    """Change a type's form code, edition, numbering pattern or retention
    (controllers); records keep the code and edition they were made with."""
    record_type = registry.get(type_name)
    if record_type is None:
        raise NotFound(N_("There is no record type %(name)s."), name=type_name)
    if not actor.may(MANAGE_FORMS):
        raise PermissionDenied()
    form_code = (form_code or "").strip() or None
    if form_code is not None and (len(form_code) > 40 or not re.fullmatch(r"[\w./-]+", form_code)):
        raise InvalidData(N_("Enter a form code such as GAEPC/QR-018."), field="form_code")
    edition = (edition or "").strip()
    if not edition or len(edition) > 16:
        raise InvalidData(N_("Enter an edition such as A/0."), field="edition")
    try:
        check_pattern(numbering_pattern)
    except TypeDeclarationError:
        raise InvalidData(
            N_("The numbering pattern needs {year} and {seq}, and may use {code} and {form}."),
            field="numbering_pattern",
        ) from None
    if not isinstance(retention_years, int) or not 0 <= retention_years <= 100:
        raise InvalidData(N_("Retention is 0 to 100 years."), field="retention_years")
    if not (reason or "").strip():
        raise InvalidData(N_("Say why the settings change."), field="reason")

    def work(db, session):
        before = effective(record_type, db, session)
        after = {
            "form_code": form_code or before.form_code,
            "edition": edition,
            "numbering_pattern": numbering_pattern,
            "retention_years": retention_years,
        }
        # Numbers are unique across all records: a pattern that gives another
        # form's numbers would make every creation of one of them fail.
        clash = pattern_clash(type_name, numbering_pattern, after["form_code"], db, session)
        if clash is not None:
            theirs = effective(clash, db, session)
            raise InvalidData(
                N_(
                    "This numbering pattern gives the same numbers as form %(form_code)s "
                    "(%(pattern)s). Each form needs a pattern of its own, for example "
                    "with {code}."
                ),
                field="numbering_pattern",
                form_code=theirs.form_code,
                pattern=theirs.numbering_pattern,
            )
        changes = [
            {"field": key, "old": getattr(before, key), "new": value}
            for key, value in after.items()
            if getattr(before, key) != value
        ]
        if not changes:
            return before
        now = utcnow()
        revision = before.revision + 1
        db.type_settings.update_one(
            {"_id": type_name},
            {
                "$set": {
                    **after,
                    "revision": revision,
                    "updated_by": actor.username,
                    "updated_at": now,
                },
                "$push": {
                    "history": {
                        "revision": revision,
                        "by": actor.username,
                        "at": now,
                        "reason": reason.strip(),
                        "changes": changes,
                    }
                },
            },
            upsert=True,
            session=session,
        )
        audit.append(
            db,
            session,
            actor=actor.username,
            action="type_settings",
            record_type=type_name,
            details={"changes": changes, "reason": reason},
        )
        return Effective(edition, numbering_pattern, retention_years, revision, after["form_code"])

    return unit_of_work(work)
