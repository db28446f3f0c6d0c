"""Account operations: the one way users, passwords and API tokens change.

The back office, the login page and the CLI all call these functions; each
validates its input and raises :class:`AccountError` with a message that is
translated where it is shown.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from mongoengine.errors import NotUniqueError
from pymongo import ReturnDocument

from portal.models import ApiToken, Department, LoginThrottle, User, utcnow
from records import audit
from records.roles import ADMIN, POSITIONS, ROLES

security_log = logging.getLogger("portal.security")

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so both cases take as long;
# made at the first such login, not at every start (an argon2 hash of CPU).
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASH


def init_app(app) -> None:
    """Hash passwords at the cost the config names (tests lower it; a login
    rehashes a stored hash made at another cost)."""
    set_hash_cost(
        app.config["PASSWORD_HASH_TIME_COST"],
        app.config["PASSWORD_HASH_MEMORY_KIB"],
        app.config["PASSWORD_HASH_PARALLELISM"],
    )


def set_hash_cost(time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Use these argon2id parameters for every hash made from now on."""
    global _hasher, _DUMMY_HASH
    if (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism) == (
        time_cost,
        memory_kib,
        parallelism,
    ):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _DUMMY_HASH = None


USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "prt_"  # noqa: S105 - a marker, not a secret


class AccountError(ValueError):
    """An account operation was refused; ``str()`` is the user's message."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class LoginRefused(AccountError):
    """A login failed. ``reason`` is ``invalid``, ``locked`` or ``disabled``."""

    def __init__(self, message, reason: str, locked_until: datetime | None = None):
        super().__init__(message)
        self.reason = reason
        self.locked_until = locked_until


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)


def normalize_username(username: str) -> str:
    return (username or "").strip().casefold()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str, min_length: int, username: str = "") -> None:
    """Refuse passwords that are short, uniform or the user name itself."""
    if len(password or "") < min_length:
        raise AccountError(
            _l("The password must have at least %(n)d characters.", n=min_length), "password"
        )
    if len(set(password)) < 4:
        raise AccountError(_l("The password is too simple."), "password")
    if username and normalize_username(password) == normalize_username(username):
        raise AccountError(_l("The password must not be the user name."), "password")


def _validate_roles(roles) -> list[str]:
    roles = list(dict.fromkeys(roles or ()))
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise AccountError(_l("Unknown role: %(role)s", role=", ".join(unknown)), "roles")
    return roles


def _validate_positions(positions) -> list[str]:
    positions = list(dict.fromkeys(positions or ()))
    unknown = [p for p in positions if p not in POSITIONS]
    if unknown:
        raise AccountError(
            _l("Unknown position: %(position)s", position=", ".join(unknown)), "positions"
        )
    return positions


def _find_department(department) -> Department | None:
    if department is None or department == "" or isinstance(department, Department):
        return department or None
    found = Department.objects(code=str(department).strip()).first()
    if found is None:
        raise AccountError(
            _l("No department has the code %(code)s.", code=department), "department"
        )
    return found


def create_user(
    username: str,
    full_name: str,
    password: str,
    *,
    roles=(),
    department=None,
    email: str | None = None,
    locale: str | None = None,
    active: bool = True,
    min_password_length: int = 10,
    positions=(),
) -> User:
    """Create a user with a hashed password."""
    username = normalize_username(username)
    if not USERNAME_PATTERN.match(username):
        raise AccountError(
            _l(
                "A user name has 2 to 64 characters: lower-case letters, digits, "
                "dot, dash or underscore, starting with a letter or digit."
            ),
            "username",
        )
    full_name = (full_name or "").strip()
    if not full_name:
        raise AccountError(_l("Enter the person's full name."), "full_name")
    check_password_strength(password, min_password_length, username)
    user = User(
        username=username,
        full_name=full_name,
        email=(email or "").strip() or None,
        department=_find_department(department),
        roles=_validate_roles(roles),
        positions=_validate_positions(positions),
        locale=locale or None,
        active=active,
        password_hash=hash_password(password),
    )
    try:
        user.save(force_insert=True)
    except NotUniqueError:
        raise AccountError(
            _l("The user name %(name)s is already taken.", name=username), "username"
        ) from None
    security_log.info("user created: %s roles=%s", username, ",".join(user.roles))
    return user


def update_user(
    user: User,
    *,
    full_name: str,
    roles,
    department=None,
    email: str | None = None,
    locale: str | None = None,
    active: bool = True,
    positions=None,
) -> User:
    """Change a user's profile, roles, positions, department or active flag."""
    full_name = (full_name or "").strip()
    if not full_name:
        raise AccountError(_l("Enter the person's full name."), "full_name")
    was_active = user.active
    user.full_name = full_name
    user.roles = _validate_roles(roles)
    if positions is not None:
        user.positions = _validate_positions(positions)
    user.department = _find_department(department)
    user.email = (email or "").strip() or None
    user.locale = locale or None
    user.active = bool(active)
    if was_active and not user.active:
        user.session_version += 1
    user.save()
    security_log.info("user updated: %s roles=%s active=%s", user.username, user.roles, active)
    return user


def set_password(user: User, password: str, min_length: int = 10) -> None:
    """Set a new password; every other session of the user ends."""
    check_password_strength(password, min_length, user.username)
    User.objects(pk=user.pk).update_one(
        set__password_hash=hash_password(password),
        set__password_changed_at=utcnow(),
        set__session_nonces=[],
        inc__session_version=1,
    )
    user.reload()
    security_log.info("password changed: %s", user.username)


def change_own_password(user: User, current: str, new: str, min_length: int = 10) -> None:
    """A user changes their own password, proving they know the current one."""
    if not verify_password(user, current):
        raise AccountError(_l("The current password is wrong."), "current_password")
    if current == new:
        raise AccountError(_l("The new password must differ from the current one."), "password")
    set_password(user, new, min_length)


def disable_user(user: User) -> None:
    """Disable a user: no more logins, open sessions and tokens stop working."""
    User.objects(pk=user.pk).update_one(
        set__active=False, set__session_nonces=[], inc__session_version=1
    )
    user.reload()
    security_log.info("user disabled: %s", user.username)


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def authenticate(username: str, password: str, policy: LoginPolicy | None = None) -> User:
    """The user whose name and password these are, or :class:`LoginRefused`.

    Wrong password and unknown user give the same answer. After
    ``policy.max_failures`` failures within ``policy.window`` the name is
    locked for ``policy.lock_for``, whether or not such a user exists.
    """
    policy = policy or LoginPolicy()
    key = normalize_username(username)
    now = utcnow()
    throttle = LoginThrottle.objects(key=key).first() if key else None
    if throttle and throttle.locked_until and throttle.locked_until > now:
        security_log.warning("login refused, locked: %s", key)
        audit.record_event(key or None, "login_failed", details={"reason": "locked"})
        raise LoginRefused(
            _l("Too many failed logins. Try again later."), "locked", throttle.locked_until
        )
    user = User.objects(username=key).first() if key else None
    if user is None:
        _spend_hash_time(password)
        _record_failure(key, now, policy)
        raise LoginRefused(_l("The user name or password is wrong."), "invalid")
    if not verify_password(user, password):
        _record_failure(key, now, policy)
        raise LoginRefused(_l("The user name or password is wrong."), "invalid")
    if not user.active:
        security_log.warning("login refused, disabled: %s", key)
        audit.record_event(key, "login_failed", details={"reason": "disabled"})
        raise LoginRefused(_l("This account is disabled. Ask an administrator."), "disabled")
    # Beside the password hash (kept on the request path on purpose) a login
    # costs only the round trips it needs: the throttle is removed only if
    # there was one, and the user is not read again after its update.
    if throttle is not None:
        LoginThrottle.objects(key=key).delete()
    updates = {"set__last_login_at": now}
    if _hasher.check_needs_rehash(user.password_hash):
        updates["set__password_hash"] = hash_password(password)
    User.objects(pk=user.pk).update_one(**updates)
    user.last_login_at = now
    if "set__password_hash" in updates:
        user.password_hash = updates["set__password_hash"]
    security_log.info("login: %s", key)
    audit.record_event(key, "login")
    return user


def _spend_hash_time(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _hasher.verify(_dummy_hash(), password or "x")


def _record_failure(key: str, now: datetime, policy: LoginPolicy) -> None:
    security_log.warning("failed login: %s", key)
    audit.record_event(key or None, "login_failed", details={"reason": "invalid"})
    if not key:
        return
    collection = LoginThrottle._get_collection()
    doc = collection.find_one_and_update(
        {"_id": key},
        {"$inc": {"failures": 1}, "$setOnInsert": {"window_started_at": now}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    if doc["window_started_at"] < now - policy.window:
        collection.update_one({"_id": key}, {"$set": {"failures": 1, "window_started_at": now}})
    elif doc["failures"] >= policy.max_failures:
        collection.update_one(
            {"_id": key},
            {
                "$set": {
                    "locked_until": now + policy.lock_for,
                    "failures": 0,
                    "window_started_at": now,
                }
            },
        )
        security_log.warning("login locked: %s until %s", key, now + policy.lock_for)


# --- API tokens -------------------------------------------------------------


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for ``user``; the clear token is returned only here."""
    name = (name or "").strip()
    if not name:
        raise AccountError(_l("Give the token a name."), "name")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:80], token_hash=_token_digest(clear), prefix=clear[:10])
    token.save(force_insert=True)
    security_log.info("api token created: %s for %s", token.prefix, user.username)
    return token, clear


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        ApiToken.objects(pk=token.pk, revoked_at=None).update_one(set__revoked_at=utcnow())
        token.reload()
        security_log.info("api token revoked: %s", token.prefix)


def user_for_token(clear: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not clear or not clear.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects(token_hash=_token_digest(clear), revoked_at=None).first()
    if token is None:
        return None
    user = token.user
    if user is None or not user.active:
        return None
    ApiToken.objects(pk=token.pk).update_one(set__last_used_at=utcnow())
    return user


# --- first start ------------------------------------------------------------


def ensure_initial_admin() -> tuple[User, str] | None:
    """Create the ``admin`` user with a random password if there are no users.

    Answers the user and the clear password, or None if users exist.
    """
    if User.objects.limit(1).first() is not None:
        return None
    password = secrets.token_urlsafe(12)
    try:
        user = create_user("admin", "Administrator", password, roles=[ADMIN], min_password_length=8)
    except AccountError:
        return None  # another worker created it first
    return user, password
