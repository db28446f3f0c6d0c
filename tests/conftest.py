"""Test harness: one embedded database and one portal app per test process
(each pytest-xdist worker has its own), emptied for every test, and a real
headless Chromium for browser journeys."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import mongoengine
import pymongo
import pytest
from werkzeug.serving import make_server

from portal import accounts, create_app
from portal import database as portal_db
from portal.database.embedded import EmbeddedDatabase
from portal.workers import stop_workers
from records import audit
from records.forms import register_all
from search_index import Indexer, IndexStore
from tests.helpers import PASSWORD

TEST_DB = "portal_test"

# The record types, as the app factory and the command line register them,
# also for tests of the domain that build no app.
register_all()

# argon2id at its cheapest, for every portal the tests start (in this process
# and the `portal serve` children, which inherit the environment): at the
# production cost each user the tests create would take ~50 ms to hash.
os.environ.update(
    PORTAL_PASSWORD_HASH_TIME_COST="1",
    PORTAL_PASSWORD_HASH_MEMORY_KIB="8",
    PORTAL_PASSWORD_HASH_PARALLELISM="1",
)

# Settings each test gets afresh on the shared app (its own folders).
PER_TEST = ("DATA_DIR", "SEARCH_INDEX_DIR", "AUDIT_CHECKPOINTS", "SEARCH_ENGINE")


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A real SecantusDB server, started once for the whole test session."""
    server = EmbeddedDatabase(tmp_path_factory.mktemp("embedded-db"), attach=False)
    server.start()
    yield server
    server.stop()


def _config(database, data_dir: Path) -> dict:
    return {
        "TESTING": True,
        "MONGODB_URI": database.uri,
        "MONGODB_DB": TEST_DB,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": "test-secret-key",
        "SEARCH_INDEXER": "manual",
        # Shared CI machines are slow; counts in tests must be complete.
        "SEARCH_TIME_LIMIT": 10,
    }


@pytest.fixture
def app_config(database, tmp_path):
    """The overrides of this test's app; a test that needs others builds its
    own app with ``create_app({**app_config, ...})``."""
    return _config(database, tmp_path / "data")


class SharedApp:
    """The app built once per process, and what a test may have changed."""

    def __init__(self, database, data_dir: Path):
        self.database = database
        self.base = _config(database, data_dir)
        self.app = create_app(self.base)
        self.settings = dict(self.app.config)
        self.extensions = dict(self.app.extensions)
        self.connection = mongoengine.get_connection()
        self.client = pymongo.MongoClient(database.uri)

    def serves(self, config: dict) -> bool:
        """Whether ``config`` differs from the shared one only in its folders
        (and search engine)."""

        def fixed(c):
            return {k: v for k, v in c.items() if k not in PER_TEST}

        return fixed(config) == fixed(self.base)

    def reset(self, data_dir: Path, engine: str | None = None) -> None:
        """Empty the database and give the app its settings, folders and an
        empty search index (of ``engine``, the default one if None) as a
        freshly built one would have: the search engine is used only to open
        the index, so the search tests of both engines share the app too."""
        # A test that built its own app (or ran the CLI) reconnected mongoengine
        # and may have changed the hashing cost; both are per process.
        if mongoengine.get_connection() is not self.connection:
            portal_db.connect(self.base["MONGODB_URI"], TEST_DB)
            self.connection = mongoengine.get_connection()
        accounts.init_app(self.app)
        # Emptying keeps the collections and their indexes: much cheaper than
        # dropping the database and creating every index again.
        db = self.client[TEST_DB]
        for name in db.list_collection_names():
            if not name.startswith("system."):
                db[name].delete_many({})
        config = self.app.config
        for key in set(config) - set(self.settings):
            del config[key]
        config.update(self.settings)
        config["DATA_DIR"] = str(data_dir)
        config["SEARCH_INDEX_DIR"] = str(data_dir / "search-index")
        # The audit key lives in the data folder: the test's folder holds the
        # shared app's, so the CLI and apps of the test's own on it agree.
        config["AUDIT_CHECKPOINTS"] = str(data_dir / "audit-checkpoints.jsonl")
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file = data_dir / "audit-key"
        key_file.write_text(config["AUDIT_KEY"])
        key_file.chmod(0o600)
        audit.use_key(config["AUDIT_KEY"])
        # Threads or stand-ins a test put among the extensions go with it.
        extensions = self.app.extensions
        for key in set(extensions) - set(self.extensions):
            del extensions[key]
        extensions.update(self.extensions)
        if engine is not None:
            config["SEARCH_ENGINE"] = engine
        store = IndexStore(config["SEARCH_INDEX_DIR"], engine=config["SEARCH_ENGINE"])
        store.live()
        self.app.extensions["search_index"] = store
        self.app.extensions["search_indexer"] = Indexer(store)


@pytest.fixture(scope="session")
def shared_app(database, tmp_path_factory):
    shared = SharedApp(database, tmp_path_factory.mktemp("shared-app"))
    yield shared
    shared.client.close()


@pytest.fixture
def app(shared_app, app_config):
    """The portal on an emptied database, with its own data folder and index.

    The app is built once per process; a test whose ``app_config`` differs in
    more than its folders gets an app of its own (slower, same behaviour).
    """
    if not shared_app.serves(app_config):
        shared_app.reset(Path(app_config["DATA_DIR"]))
        return create_app(app_config)
    shared_app.reset(Path(app_config["DATA_DIR"]), app_config.get("SEARCH_ENGINE"))
    return shared_app.app


@pytest.fixture
def make_app(shared_app, app_config):
    """``make_app(SEARCH_INDEXER="background")``: an app of the test's own with
    these overrides, on the test's emptied database; its threads stop after."""
    shared_app.reset(Path(app_config["DATA_DIR"]))
    made = []

    def make(**overrides):
        built = create_app({**app_config, **overrides})
        made.append(built)
        return built

    yield make
    for built in made:
        stop_workers(built)


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


def pytest_collection_modifyitems(items):
    """Browser journeys take seconds each: every one is also ``slow``.

    The slow tests run first (in their order): started last, one test of a
    minute would keep a parallel run waiting on one worker while the other
    has nothing left; started first, the quick ones fill in around them."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
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


AXE = Path(__file__).parent / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, installed by `make axe` (npm ci in tests/browser/axe)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: make axe (npm ci --prefix tests/browser/axe)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def axe_page(browser, live_server, axe_source):
    """A tab whose pages can be checked with ``check(page)``: axe-core is put
    in by the test (the portal's CSP rightly refuses inline script, so this
    context alone bypasses it)."""
    context = browser.new_context(base_url=live_server, locale="zh-CN", bypass_csp=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
