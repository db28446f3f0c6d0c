"""A demo organisation, so a new user meets a living portal (``portal demo``):
see :mod:`portal.demo.stories`."""

from portal.demo.stories import (
    DEFAULT_COMPLAINTS,
    DEFAULT_SEED,
    DIRECTOR,
    USERS,
    DemoRefused,
    check_demo,
    database_is_empty,
    load_demo,
)

__all__ = [
    "DEFAULT_COMPLAINTS",
    "DEFAULT_SEED",
    "DIRECTOR",
    "USERS",
    "DemoRefused",
    "check_demo",
    "database_is_empty",
    "load_demo",
]
