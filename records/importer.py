"""Importing a legacy complaint ledger (客户投诉一览表) from Excel.

The controller maps the ledger's columns to the complaint sheet's fields
(guessed from the headings, in any of the portal's languages), runs a dry
run that lists each row's problems, then imports. An import takes every row
or none: all rows are created through the records operations in one
transaction, which is abandoned at the first problem found; a dry run is the
same transaction, always abandoned. Each imported record gets its number and
an audit entry naming the file and row it came from.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from functools import lru_cache

from records import audit
from records.access import Actor
from records.errors import InvalidData, PermissionDenied, RecordError
from records.files import check_size
from records.i18n import N_
from records.operations import create_in, record_type_of
from records.permissions import IMPORT_LEDGERS
from records.store import unit_of_work
from records.word.texts import LANGUAGES, Texts

TYPE = "complaint_sheet"
MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024


@dataclass
class Ledger:
    filename: str
    sha256: str
    headers: list[str]
    #: (Excel row number, the row's values) for each non-empty row.
    rows: list[tuple[int, list]]


@dataclass
class Problem:
    row: int
    field: str | None
    message: str
    params: dict = dataclass_field(default_factory=dict)


@dataclass
class Outcome:
    rows: int
    problems: list[Problem]
    numbers: list[str]
    imported: bool


def read_ledger(filename: str, content: bytes) -> Ledger:
    """The first sheet of an .xlsx: its first row with two or more cells
    filled is the heading (a title row above it is skipped)."""
    check_size(content, MAX_BYTES)
    try:
        from openpyxl import load_workbook  # when a ledger is imported, not at every start

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InvalidData(N_("This is not an Excel (.xlsx) file."), field="file") from None
    sheet = workbook.worksheets[0]
    headers: list[str] | None = None
    rows: list[tuple[int, list]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        values = list(values)
        if not any(v not in (None, "") for v in values):
            continue
        if headers is None:
            if sum(v not in (None, "") for v in values) < 2:
                continue
            headers = [str(v).strip() if v is not None else "" for v in values]
            continue
        rows.append((number, values))
        if len(rows) > MAX_ROWS:
            raise InvalidData(N_("At most %(n)d rows at a time."), field="file", n=MAX_ROWS)
    workbook.close()
    if not headers:
        raise InvalidData(N_("The sheet has no heading row."), field="file")
    return Ledger(filename, hashlib.sha256(content).hexdigest(), headers, rows)


def _labels(spec) -> set[str]:
    names = {spec.name.lower()}
    for locale in LANGUAGES:
        names.add(Texts(locale)(spec.label).strip().lower())
    return names


def guess_mapping(ledger: Ledger) -> dict[int, str]:
    """Column -> field, where a heading reads as a field's label or name
    (in any language), or contains one ("受理渠道" holds "渠道")."""
    record_type = record_type_of(TYPE)
    mapping: dict[int, str] = {}
    for index, heading in enumerate(ledger.headers):
        wanted = heading.strip().lower()
        if not wanted:
            continue
        best, best_length = None, 0
        for spec in record_type.input_fields:
            if spec.name in mapping.values():
                continue
            for label in _labels(spec):
                exact = label == wanted
                if exact or (len(label) >= 2 and label in wanted):
                    length = 1000 if exact else len(label)
                    if length > best_length:
                        best, best_length = spec.name, length
        if best:
            mapping[index] = best
    return mapping


@lru_cache(maxsize=64)
def _choices(spec) -> dict[str, str]:
    """Each choice's value and its labels in every language -> the value."""
    found = {}
    for choice in spec.choices:
        found[choice.value.lower()] = choice.value
        for locale in LANGUAGES:
            found[Texts(locale)(choice.label).strip().lower()] = choice.value
    return found


def _value(spec, value):
    """An Excel cell as the field's kind expects it: dates from Excel dates,
    choices from their value or their label in any language."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if spec.kind == "datetime" and isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if spec.kind == "datetime" and isinstance(value, date):
        return datetime.combine(value, datetime.min.time()).isoformat()
    if spec.kind == "date" and isinstance(value, datetime):
        return value.date().isoformat()
    if spec.kind == "choice":
        text = str(value).strip()
        return _choices(spec).get(text.lower(), text)
    if spec.kind == "boolean" and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "是", "√", "✓")
    if spec.kind in ("string", "text") and not isinstance(value, str):
        return str(value)
    return value


class _Abandon(Exception):
    def __init__(self, outcome: Outcome):
        super().__init__("abandoned")
        self.outcome = outcome


def run(actor: Actor, ledger: Ledger, mapping: dict[int, str], *, dry_run: bool) -> Outcome:
    """Check (``dry_run``) or import every row; nothing is kept unless every
    row could be created."""
    if not actor.may(IMPORT_LEDGERS):
        raise PermissionDenied()
    record_type = record_type_of(TYPE)
    fields = {f.name: f for f in record_type.input_fields}
    unknown = sorted(set(mapping.values()) - set(fields))
    if unknown:
        raise InvalidData(N_("No such field."), field=unknown[0])
    if len(set(mapping.values())) != len(mapping):
        raise InvalidData(N_("Two columns are mapped to the same field."), field="mapping")
    if not ledger.rows:
        raise InvalidData(N_("The sheet has no rows below its heading."), field="file")

    def work(db, session):
        problems, numbers = [], []
        for row_number, values in ledger.rows:
            data = {
                name: _value(fields[name], values[index] if index < len(values) else None)
                for index, name in mapping.items()
            }
            try:
                doc = create_in(
                    db, session, actor, TYPE, data, reason=(f"{ledger.filename}, row {row_number}")
                )
            except RecordError as error:
                problems.append(Problem(row_number, error.field, error.message, error.params))
                continue
            numbers.append(doc["number"])
        outcome = Outcome(len(ledger.rows), problems, numbers, imported=False)
        if problems or dry_run:
            raise _Abandon(outcome)
        audit.append(
            db,
            session,
            actor=actor.username,
            action="import",
            record_type=TYPE,
            details={
                "filename": ledger.filename,
                "sha256": ledger.sha256,
                "rows": len(ledger.rows),
                "first": numbers[0],
                "last": numbers[-1],
            },
        )
        outcome.imported = True
        return outcome

    try:
        return unit_of_work(work)
    except _Abandon as abandoned:
        return abandoned.outcome
