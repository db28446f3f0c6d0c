"""Test harness: one embedded database for the test session, a clean database
per test, and a real headless Chromium for browser journeys."""

from __future__ import annotations

import os
import threading

import pymongo
import pytest
from werkzeug.serving import make_server

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
        "SEARCH_INDEXER": "manual",
        # Shared CI machines are slow; counts in tests must be complete.
        "SEARCH_TIME_LIMIT": 10,
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


# --- browser journeys -------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def live_server(app):
    """The portal served over real HTTP on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
