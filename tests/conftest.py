"""Test harness: one embedded database for the test session, a clean database
per test, and a real headless Chromium for browser journeys."""

from __future__ import annotations

import pymongo
import pytest

from portal import accounts, create_app
from portal.embedded_db import EmbeddedDatabase
from tests.helpers import PASSWORD

TEST_DB = "portal_test"


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A real SecantusDB server, started once for the whole test session."""
    server = EmbeddedDatabase(tmp_path_factory.mktemp("embedded-db"), attach=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(database, tmp_path):
    return {
        "TESTING": True,
        "MONGODB_URI": database.uri,
        "MONGODB_DB": TEST_DB,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key",
    }


@pytest.fixture
def app(database, app_config):
    """The portal on a freshly emptied database."""
    with pymongo.MongoClient(database.uri) as client:
        client.drop_database(TEST_DB)
    return create_app(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user: ``make_user("li", roles=["staff"], department="QA")``."""

    def make(username, roles=("staff",), password=PASSWORD, full_name=None, **kwargs):
        return accounts.create_user(
            username, full_name or username.title(), password, roles=roles, **kwargs
        )

    return make
