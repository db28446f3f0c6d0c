"""Accounts stored in MongoDB: departments, users, API tokens, login throttles."""

from __future__ import annotations

from datetime import UTC, datetime

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)
from mongoengine.errors import DoesNotExist

from records.roles import POSITIONS, ROLES


def utcnow() -> datetime:
    """Now, in UTC, at the millisecond precision MongoDB keeps."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class Department(Document):
    """A department, team or branch that records and users belong to."""

    code = StringField(required=True, unique=True, max_length=32)
    name = StringField(required=True, max_length=120)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    meta = {"collection": "departments", "ordering": ["code"], "auto_create_index": False}

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(Document):
    """A person who logs in. Never deleted: disabling keeps who did what."""

    username = StringField(required=True, unique=True, max_length=64)
    full_name = StringField(required=True, max_length=120)
    email = StringField(max_length=254)
    department = ReferenceField(Department)
    roles = ListField(StringField(choices=tuple(ROLES)), default=list)
    #: Positions some approvals need (the director approves major complaints).
    positions = ListField(StringField(choices=tuple(POSITIONS)), default=list)
    active = BooleanField(default=True)
    password_hash = StringField(required=True)
    password_changed_at = DateTimeField(default=utcnow)
    # Bumped when the password changes or the user is disabled, which ends
    # every session that was opened before.
    session_version = IntField(default=0)
    #: One nonce per open session (browser); logging out removes its own.
    session_nonces = ListField(StringField(), default=list)
    locale = StringField(max_length=16)
    #: Kinds of e-mail notice the user turned off (records.notifications.KINDS).
    mail_off = ListField(StringField(max_length=32), default=list)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField()

    meta = {
        "collection": "users",
        "ordering": ["username"],
        "indexes": ["department", "roles"],
        "auto_create_index": False,
    }

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})"

    # Flask-Login's user protocol.
    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.pk}:{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of ``roles``."""
        return any(role in self.roles for role in roles)

    @property
    def department_or_none(self) -> Department | None:
        """The department, or None if it was never set or no longer exists."""
        try:
            return self.department
        except DoesNotExist:
            return None


class ApiToken(Document):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    user = ReferenceField(User, required=True)
    name = StringField(required=True, max_length=80)
    token_hash = StringField(required=True, unique=True)
    prefix = StringField(required=True, max_length=16)
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField()
    revoked_at = DateTimeField()

    meta = {
        "collection": "api_tokens",
        "ordering": ["-created_at"],
        "indexes": ["user"],
        "auto_create_index": False,
    }

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"


class LoginThrottle(Document):
    """Failed logins per user name (known or not), to slow password guessing."""

    key = StringField(primary_key=True)
    failures = IntField(default=0)
    window_started_at = DateTimeField()
    locked_until = DateTimeField()

    meta = {"collection": "login_throttles", "auto_create_index": False}


class SavedSearch(Document):
    """A search a user named to run again (a Plone "collection")."""

    owner = StringField(required=True, max_length=64)
    name = StringField(required=True, max_length=120)
    #: The query string of the search page, parameter -> list of values.
    params = DictField()
    created_at = DateTimeField(default=utcnow)

    meta = {
        "collection": "saved_searches",
        "auto_create_index": False,
        "ordering": ["name"],
        "indexes": [{"fields": ("owner", "name"), "unique": True}],
    }


DOCUMENTS = (Department, User, ApiToken, LoginThrottle, SavedSearch)
