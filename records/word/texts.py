"""How values read on paper, in one language, without a web request.

The portal's pages use Flask-Babel; Word files are also written by the
command line and benchmarks, so this module reads the same ``messages``
catalogs with Babel directly.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale, support
from babel.dates import format_date, format_time

from records.clock import to_local
from records.i18n import N_
from records.store import database
from records.types import SIGNATURE_MEANINGS, Field

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"
LANGUAGES = ("zh_Hans", "zh_Hant", "en")


@lru_cache(maxsize=8)
def _catalog(locale: str) -> support.NullTranslations:
    return support.Translations.load(str(TRANSLATIONS), [locale], domain="messages")


class Texts:
    """Labels, choices, dates and names in ``locale`` (zh_Hans, zh_Hant, en)."""

    def __init__(self, locale: str = "zh_Hans", db=None):
        self.locale = locale if locale in LANGUAGES else "zh_Hans"
        self._babel_locale = Locale.parse(self.locale)
        self._catalog = _catalog(self.locale)
        self._db = db
        self._departments: dict[str, str] | None = None
        self._users: dict[str, str] = {}

    def __call__(self, message: str, **params) -> str:
        text = self._catalog.ugettext(message)
        return text % params if params else text

    @property
    def db(self):
        return self._db if self._db is not None else database()

    # --- names ------------------------------------------------------------

    def department(self, code: str | None) -> str:
        if not code:
            return ""
        if self._departments is None:
            self._departments = {
                d["code"]: d.get("name") or d["code"]
                for d in self.db.departments.find({}, {"code": 1, "name": 1})
            }
        return self._departments.get(code, code)

    def user(self, username: str | None) -> str:
        if not username:
            return ""
        if username not in self._users:
            found = self.db.users.find_one({"username": username}, {"full_name": 1})
            self._users[username] = (found or {}).get("full_name") or username
        return self._users[username]

    def prime_users(self, usernames) -> None:
        """Look up many people at once (registers of thousands of rows)."""
        wanted = [u for u in set(usernames) if u and u not in self._users]
        if not wanted:
            return
        for found in self.db.users.find(
            {"username": {"$in": wanted}}, {"username": 1, "full_name": 1}
        ):
            self._users[found["username"]] = found.get("full_name") or found["username"]
        for name in wanted:
            self._users.setdefault(name, name)

    # --- values -----------------------------------------------------------

    def date(self, value: date | str | None) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return format_date(value, "medium", locale=self._babel_locale)

    def local_datetime(self, value: datetime | str | None) -> str:
        """A local wall-clock time as stored in record data."""
        if not value:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        # The same date format as the date fields beside it, then the time.
        return (
            f"{format_date(value.date(), 'medium', locale=self._babel_locale)} "
            f"{format_time(value.time(), 'HH:mm', locale=self._babel_locale)}"
        )

    def utc_datetime(self, value: datetime | None) -> str:
        """A stored UTC moment (signatures, deadlines) in local time."""
        return self.local_datetime(to_local(value)) if value else ""

    def field_value(self, spec: Field, value) -> str:
        """A field's value as the paper form shows it."""
        if spec.kind == "boolean":
            return self(N_("Yes")) if value else self(N_("No"))
        if value is None or value == "":
            return ""
        if spec.kind == "choice":
            return next((self(c.label) for c in spec.choices if c.value == value), str(value))
        if spec.kind == "department":
            return f"{value} {self.department(value)}"
        if spec.kind == "user":
            return self.user(value)
        if spec.kind == "date":
            return self.date(value)
        if spec.kind == "datetime":
            return self.local_datetime(value)
        return str(value)

    def blank_value(self, spec: Field) -> str:
        """What a blank form shows for a field: the choices to tick."""
        if spec.kind == "boolean":
            return f"☐ {self(N_('Yes'))}    ☐ {self(N_('No'))}"
        if spec.kind == "choice":
            return "    ".join(f"☐ {self(c.label)}" for c in spec.choices)
        return ""

    def signature(self, signature: dict) -> str:
        """'Zhang San · Approved · 2026-11-23 14:05 (electronic signature)'."""
        meaning = SIGNATURE_MEANINGS.get(signature.get("meaning") or "", signature.get("meaning"))
        return self(
            N_("%(name)s, %(meaning)s, %(at)s (electronic signature)"),
            name=signature.get("name") or signature.get("signer") or "",
            meaning=self(meaning or ""),
            at=self.utc_datetime(signature.get("at")),
        )
