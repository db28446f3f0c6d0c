"""Record types are declared, not coded.

A declaration names the form code and edition, titles per language, fields,
numbering pattern, retention rule, workflow, and who may create records.
Adding a type is adding one :class:`RecordType` to the registry.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from records.clock import to_local
from records.errors import NotFound, TypeDeclarationError
from records.i18n import N_
from records.roles import CONTROLLER
from records.workflow import STATE_GROUPS, FollowUpLink, Workflow

#: Field kinds and the Python values they hold.
FIELD_KINDS = (
    "string",
    "text",
    "date",
    "datetime",
    "integer",
    "choice",
    "boolean",
    # A department code, a user name, another record's number:
    # checked against the database when saved.
    "department",
    "user",
    "record",
)

#: What a signature means, as printed next to it.
SIGNATURE_MEANINGS = {
    "approved": N_("Approved"),
    "verified": N_("Verified"),
    "reviewed": N_("Reviewed"),
}

#: Events that can start a retention period.
RETENTION_EVENTS = {
    "created": N_("creation"),
    "closed": N_("closure"),
    "effective": N_("taking effect"),
    "superseded": N_("being superseded"),
}

#: How a type numbers its records unless it says otherwise, and what a
#: pattern may use.
DEFAULT_PATTERN = "{code}-{year}-{seq:04}"
_PATTERN_KEYS = {"code", "form", "year", "seq"}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One field of a form: its name, kind, label and rules."""

    name: str
    kind: str
    label: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    help: str = ""
    #: Customer contact details and the like: hidden from roles that do not
    #: need them, never shown in search snippets.
    confidential: bool = False
    #: Integers: the smallest value allowed (counts are never negative).
    min_value: int | None = None
    #: Dates and times: not after today / now.
    not_future: bool = False
    #: Dates and times: not before the value of this other field.
    not_before: str | None = None
    #: Records: the types the number may belong to.
    ref_types: tuple[str, ...] = ()
    #: Set by the type's rules (a score, a suggestion), never typed in.
    computed: bool = False

    def __post_init__(self):
        if self.kind not in FIELD_KINDS:
            raise TypeDeclarationError(f"field {self.name}: unknown kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise TypeDeclarationError(f"field {self.name}: a choice field needs choices")

    def choice_values(self) -> tuple[str, ...]:
        return tuple(choice.value for choice in self.choices)


@dataclass(frozen=True)
class Deadline:
    """When something is due while a record is in some states.

    The clock starts at a field's date (``start``) or, with
    ``start="entered"``, when the record entered its present state; it runs
    ``working_days`` on the working calendar, or ``hours``, or
    ``calendar_days``. ``when`` picks the rule from the data (urgent: 4 h).
    """

    kind: str
    label: str
    states: tuple[str, ...]
    start: str = "entered"
    working_days: int | None = None
    hours: int | None = None
    calendar_days: int | None = None
    when: Callable[[dict], bool] | None = None


@dataclass(frozen=True)
class SignatureLine:
    """A signature line of the printed form.

    With ``transition``, the electronic signature given with that step is
    printed on it (name, time, meaning); otherwise it is left for a pen.
    """

    label: str
    transition: str | None = None


@dataclass(frozen=True)
class NewRecord:
    """A record a rule asks for with a change (the sheet a rejection reopens).

    The operation creates it in the change's transaction, by the same actor,
    and keeps its number in ``link_field`` of the change's data."""

    type: str
    data: dict
    department: str | None = None
    reason: str | None = None
    link_field: str | None = None


class Rules:
    """What a type checks and fills in beyond its fields' own rules.

    ``prepare`` sees every change (create, revise, transition) inside its
    transaction; it may fill computed fields of ``change.data``, raises
    :class:`records.errors.InvalidData` to refuse the change, and answers
    the follow-ups (:class:`NewRecord`, or None) the operation carries out
    with it:
    rules ask, they never call an operation themselves.
    """

    def prepare(self, change) -> list[NewRecord] | None:  # pragma: no cover - does nothing
        return None


@dataclass(frozen=True)
class RetentionRule:
    """Keep records ``years`` after ``starts`` (an event in RETENTION_EVENTS)."""

    years: int
    starts: str = "closed"

    def __post_init__(self):
        if self.starts not in RETENTION_EVENTS:
            raise TypeDeclarationError(f"unknown retention event {self.starts!r}")
        if self.years < 0:
            raise TypeDeclarationError("retention years must not be negative")


def check_pattern(pattern: str) -> None:
    """Refuse numbering patterns that could repeat a number or not render."""
    keys = set(re.findall(r"{(\w+)(?::[^}]*)?}", pattern))
    if not keys <= _PATTERN_KEYS:
        raise TypeDeclarationError(
            f"unknown placeholder {', '.join(sorted(keys - _PATTERN_KEYS))} in {pattern!r}"
        )
    if "seq" not in keys or "year" not in keys:
        raise TypeDeclarationError("a numbering pattern needs {year} and {seq}")
    try:
        pattern.format(code="X", form="X", year=2026, seq=1)
    except (ValueError, IndexError, KeyError) as error:
        raise TypeDeclarationError(f"numbering pattern {pattern!r}: {error}") from error


@dataclass(frozen=True)
class RecordType:
    """The declaration of a form (a record type)."""

    name: str
    form_code: str
    edition: str
    titles: dict[str, str]
    fields: tuple[Field, ...]
    workflow: Workflow
    retention: RetentionRule
    numbering_pattern: str = DEFAULT_PATTERN
    #: The field whose value is the record's title in lists and search.
    title_field: str = "title"
    create_roles: tuple[str, ...] = (CONTROLLER,)
    #: Roles that may revise records in editable states (besides creators).
    edit_roles: tuple[str, ...] = (CONTROLLER,)
    #: Word layout: rows of field names, as the paper form lays them out
    #: (at most three to a row); fields left out follow at the end.
    layout: tuple[tuple[str, ...], ...] = ()
    #: The printed form's signature lines (default: one per signing step).
    signature_lines: tuple[SignatureLine, ...] = ()
    procedure: str = ""
    deadlines: tuple[Deadline, ...] = ()
    rules: Rules | None = None
    #: The user field naming who handles the record: they see it too.
    handler_field: str | None = None
    #: Copies a printed form is made in (customer, branch, head office),
    #: each marked with its label.
    copies: tuple[Choice, ...] = ()
    #: Field labels the organisation words itself (the questionnaire's
    #: items): a function of the database giving {field name: label}.
    custom_labels: Callable[[], dict[str, str]] | None = None
    #: What a record counts for in the measures (records.measures): a
    #: function of (type, record, db, session, revisits) giving (month,
    #: counts) or None; a type without one counts nowhere.
    measure: Callable[..., tuple[str | None, dict] | None] | None = None
    #: The records people raise from one of this type (a revisit, a CAPA).
    follow_ups: tuple[FollowUpLink, ...] = ()

    # One check after another on the declaration; they read best in one list.
    def __post_init__(self):  # noqa: C901
        names = [f.name for f in self.fields]
        if len(names) != len(set(names)):
            raise TypeDeclarationError(f"{self.name}: duplicate field names")
        if self.title_field not in names:
            raise TypeDeclarationError(f"{self.name}: title field {self.title_field} missing")
        check_pattern(self.numbering_pattern)
        states = self.workflow.states
        if self.workflow.initial not in states:
            raise TypeDeclarationError(f"{self.name}: initial state not declared")
        for transition in self.workflow.transitions:
            unknown = [s for s in (*transition.sources, transition.target) if s not in states]
            if unknown:
                raise TypeDeclarationError(f"{self.name}.{transition.name}: states {unknown}")
            missing = [f for f in transition.required_fields if f not in names]
            if missing:
                raise TypeDeclarationError(f"{self.name}.{transition.name}: fields {missing}")
            if transition.signature and transition.signature not in SIGNATURE_MEANINGS:
                raise TypeDeclarationError(f"{self.name}.{transition.name}: signature meaning")
            missing = [f for f in transition.fields if f not in names]
            if missing:
                raise TypeDeclarationError(f"{self.name}.{transition.name}: fields {missing}")
        for spec in self.fields:
            if spec.not_before and spec.not_before not in names:
                raise TypeDeclarationError(f"{self.name}.{spec.name}: not_before field")
        for deadline in self.deadlines:
            if deadline.start != "entered" and deadline.start not in names:
                raise TypeDeclarationError(f"{self.name}: deadline start {deadline.start}")
            if [s for s in deadline.states if s not in states]:
                raise TypeDeclarationError(f"{self.name}: deadline states")
        if self.handler_field and self.handler_field not in names:
            raise TypeDeclarationError(f"{self.name}: handler field")
        for row in self.layout:
            if not row or len(row) > 3 or [n for n in row if n not in names]:
                raise TypeDeclarationError(f"{self.name}: layout row {row}")
        for link in self.follow_ups:
            if link.group is not None and link.group not in STATE_GROUPS:
                raise TypeDeclarationError(f"{self.name}: follow-up group {link.group}")
        signing = {t.name for t in self.workflow.transitions if t.signature}
        for line in self.signature_lines:
            if line.transition and line.transition not in signing:
                raise TypeDeclarationError(f"{self.name}: {line.transition} signs nothing")

    @property
    def short_code(self) -> str:
        """``QR-018`` from ``GAEPC/QR-018``: the code used in record numbers."""
        return self.form_code.rsplit("/", 1)[-1]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def input_fields(self) -> tuple[Field, ...]:
        """The fields people type in (not the computed ones)."""
        return tuple(f for f in self.fields if not f.computed)

    @property
    def printed_signatures(self) -> tuple[SignatureLine, ...]:
        """The signature lines of the printed form."""
        if self.signature_lines:
            return self.signature_lines
        return tuple(
            SignatureLine(SIGNATURE_MEANINGS[t.signature], t.name)
            for t in self.workflow.transitions
            if t.signature
        )

    def printed_rows(self) -> tuple[tuple[str, ...], ...]:
        """The layout's rows (the title first if it leaves it out), then every
        field it leaves out: short ones three to a row, long text alone (a
        printed record omits nothing entered)."""
        rows = list(self.layout)
        placed = {name for row in rows for name in row}
        if self.title_field not in placed:
            rows.insert(0, (self.title_field,))
            placed.add(self.title_field)
        short: list[str] = []
        for spec in self.fields:
            if spec.name in placed:
                continue
            if spec.kind == "text":
                rows.append((spec.name,))
                continue
            short.append(spec.name)
            if len(short) == 3:
                rows.append(tuple(short))
                short = []
        if short:
            rows.append(tuple(short))
        return tuple(rows)

    def title(self, locale: str = "zh_Hans") -> str:
        return self.titles.get(locale) or self.titles.get("zh_Hans") or self.name


# --- values -----------------------------------------------------------------


class FieldValueError(ValueError):
    """A field value is missing or malformed. ``field`` names the field."""

    def __init__(self, field_name: str, message: str, **params):
        super().__init__(message % params if params else message)
        self.field = field_name
        self.message = message
        self.params = params


#: Bounds of what a field takes: a 64-bit integer, and dates people mean.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
YEAR_MIN, YEAR_MAX = 1900, 2199
#: Control characters refused in text (tab and line breaks are text).
_CONTROL = {chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {"\x7f"}
_TRUE, _FALSE = ("1", "true", "yes", "y", "on"), ("0", "false", "no", "n", "off")


class _Refused(ValueError):
    """A value of the wrong kind, with the message saying what is expected."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_text(value) -> str:
    """``value`` as text: a string (or a whole number typed into a text field),
    without lone surrogates or control characters; never a list or an object."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Refused(N_("Expected text."))
    value = str(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Refused(N_("The text holds characters that are not valid.")) from None
    if not _CONTROL.isdisjoint(value):
        raise _Refused(N_("The text holds control characters."))
    return value


def _integer(value) -> int:
    if isinstance(value, bool):
        raise _Refused(N_("Expected a whole number."))
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _Refused(N_("Expected a whole number."))
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text.lstrip("+-").isdigit() or len(text) > 20:
            raise _Refused(N_("Expected a whole number."))
        value = int(text)
    elif not isinstance(value, int):
        raise _Refused(N_("Expected a whole number."))
    if not INT_MIN <= value <= INT_MAX:
        raise _Refused(N_("This number is too large."))
    return value


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in (*_TRUE, *_FALSE):
        return value.strip().lower() in _TRUE
    raise _Refused(N_("Expected yes or no."))


def _in_range(moment: date) -> None:
    if not YEAR_MIN <= moment.year <= YEAR_MAX:
        raise _Refused(N_("Give a date between the years 1900 and 2199."))


# One branch per field kind, each short.
def clean_value(spec: Field, value):  # noqa: C901
    """``value`` converted to the field's kind, or :class:`FieldValueError`.

    Strict: a value of another kind is refused, never coerced (2.7 is no
    integer, an object is no text, ``{"a": 1}`` is no boolean)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if spec.kind in ("string", "text"):
            value = check_text(value).replace("\r\n", "\n")
            if spec.kind == "string":
                value = value.strip()
            limit = spec.max_length or (200 if spec.kind == "string" else 20000)
            if len(value) > limit:
                raise FieldValueError(spec.name, N_("At most %(n)d characters."), n=limit)
            return value
        if spec.kind in ("department", "user", "record"):
            value = check_text(value).strip()
            if len(value) > 64:
                raise ValueError
            return value
        if spec.kind == "integer":
            value = _integer(value)
            if spec.min_value is not None and value < spec.min_value:
                raise FieldValueError(spec.name, N_("At least %(n)d."), n=spec.min_value)
            return value
        if spec.kind == "boolean":
            return _boolean(value)
        if spec.kind == "date":
            if isinstance(value, datetime):
                value = value.date()
            elif not isinstance(value, date):
                value = date.fromisoformat(check_text(value).strip())
            _in_range(value)
            return value.isoformat()
        if spec.kind == "datetime":
            if not isinstance(value, datetime):
                value = datetime.fromisoformat(check_text(value).strip())
            _in_range(value)
            if value.tzinfo is not None:
                # Stored as local wall-clock time, like every time people enter.
                value = to_local(value.astimezone(UTC).replace(tzinfo=None))
            return value.replace(microsecond=0).isoformat()
        if spec.kind == "choice":
            value = check_text(value)
            if value not in spec.choice_values():
                raise FieldValueError(spec.name, N_("Not one of the choices."))
            return value
    except FieldValueError:
        raise
    except _Refused as refused:
        raise FieldValueError(spec.name, refused.message) from None
    except (TypeError, ValueError, OverflowError):
        raise FieldValueError(spec.name, N_("Not a valid value.")) from None
    return value


def clean_data(record_type: RecordType, data: dict, *, partial: bool = False) -> dict:
    """Validate ``data`` against the type's fields; unknown fields are refused."""
    unknown = sorted(set(data) - {f.name for f in record_type.fields})
    if unknown:
        raise FieldValueError(unknown[0], N_("No such field."))
    cleaned: dict[str, object] = {}
    for spec in record_type.fields:
        if spec.name not in data:
            if partial:
                continue
            cleaned[spec.name] = None
        else:
            cleaned[spec.name] = clean_value(spec, data[spec.name])
    return cleaned


def check_dates(record_type: RecordType, data: dict, now_local: datetime) -> None:
    """Dates not in the future where the form says so, nor before another date."""
    for spec in record_type.fields:
        value = data.get(spec.name)
        if spec.kind not in ("date", "datetime") or not value:
            continue
        moment = _as_moment(value)
        if spec.not_future:
            limit = (
                now_local
                if spec.kind == "datetime"
                else datetime.combine(now_local.date(), datetime.max.time())
            )
            if moment > limit:
                raise FieldValueError(spec.name, N_("This date is in the future."))
        other = record_type.field(spec.not_before) if spec.not_before else None
        if other is not None and data.get(other.name):
            earlier = _as_moment(data[other.name])
            if spec.kind == "date" or other.kind == "date":
                too_early = moment.date() < earlier.date()
            else:
                too_early = moment < earlier
            if too_early:
                raise FieldValueError(
                    spec.name, N_("This date is before %(other_label)s."), other_label=other.label
                )


def _as_moment(value: str) -> datetime:
    return (
        datetime.fromisoformat(value)
        if "T" in value
        else datetime.combine(date.fromisoformat(value), datetime.min.time())
    )


def check_required(record_type: RecordType, data: dict, names=None) -> None:
    """Every field in ``names`` (default: the required ones) has a value."""
    wanted = names if names is not None else [f.name for f in record_type.fields if f.required]
    for name in wanted:
        spec = record_type.field(name)
        # A required tick box (signed by the customer) must be ticked.
        if data.get(name) in (None, "") or (spec and spec.kind == "boolean" and not data[name]):
            raise FieldValueError(name, N_("This field is required."))


# --- the registry -----------------------------------------------------------


class Registry:
    def __init__(self):
        self._types: dict[str, RecordType] = {}

    def register(self, record_type: RecordType) -> RecordType:
        if record_type.name in self._types:
            raise TypeDeclarationError(f"record type {record_type.name} declared twice")
        self._types[record_type.name] = record_type
        return record_type

    def get(self, name: str) -> RecordType | None:
        return self._types.get(name)

    def __getitem__(self, name: str) -> RecordType:
        """The type called ``name`` (KeyError if none is declared)."""
        return self._types[name]

    def __iter__(self):
        return iter(self._types.values())

    def __contains__(self, name) -> bool:
        return name in self._types


registry = Registry()


def record_type_of(name: str) -> RecordType:
    """The declared type called ``name``, or :class:`NotFound`."""
    record_type = registry.get(name)
    if record_type is None:
        raise NotFound(N_("There is no record type %(name)s."), name=name)
    return record_type
