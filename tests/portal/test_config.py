"""Configuration flows one way: defaults, instance file, environment, overrides."""

from __future__ import annotations

import os
import stat
import time

import pytest
from argon2 import PasswordHasher

from portal import create_app
from portal.models import Department, User
from portal.workers import start_workers
from records.operations import create_record
from tests.helpers import PASSWORD, login
from tests.records.conftest import HANDOVER, actor


def test_sources_apply_in_order(app_config, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "portal.cfg").write_text(
        'ORGANISATION_NAME = "From the instance file"\nPORT = 6001\nTHREADS = 3\n'
    )
    monkeypatch.setenv("PORTAL_PORT", "6002")
    monkeypatch.setenv("PORTAL_LOGIN_LOCK_MINUTES", "30")
    from flask import Flask

    from portal.config import load_config

    app = Flask("probe", instance_path=str(instance))
    load_config(app, {**app_config, "THREADS": 4})
    assert app.config["ORGANISATION_NAME"] == "From the instance file"  # file over default
    assert app.config["PORT"] == 6002  # environment over file
    assert app.config["LOGIN_LOCK_MINUTES"] == 30
    assert app.config["THREADS"] == 4  # overrides over everything
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_Hans"  # default untouched


def test_secret_key_is_generated_once_and_kept_private(app_config, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    config = {key: value for key, value in app_config.items() if key != "SECRET_KEY"}
    first = create_app(config)
    second = create_app(config)
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    key_file = os.path.join(config["DATA_DIR"], "secret-key")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_secret_key_from_the_environment_wins(app_config, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "12345")
    config = {key: value for key, value in app_config.items() if key != "SECRET_KEY"}
    assert create_app(config).secret_key == "12345"


def test_security_headers_and_cookie_settings(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_search_settings_come_from_the_environment_and_are_checked(app_config, monkeypatch):
    monkeypatch.setenv("PORTAL_SEARCH_TIME_LIMIT", "0.25")
    config = dict(app_config)
    config.pop("SEARCH_TIME_LIMIT")
    assert create_app(config).config["SEARCH_TIME_LIMIT"] == 0.25
    monkeypatch.setenv("PORTAL_SEARCH_INDEXER", "sometimes")
    config.pop("SEARCH_INDEXER")
    with pytest.raises(ValueError, match="PORTAL_SEARCH_INDEXER"):
        create_app(config)


def test_password_hashing_cost_is_a_setting_and_a_login_brings_old_hashes_to_it(client, make_user):
    user = make_user("wang")
    # The tests' cheap setting (PORTAL_PASSWORD_HASH_* in tests/conftest.py).
    assert user.password_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    # A hash made at argon2-cffi's default cost, as production's are.
    strong = PasswordHasher().hash(PASSWORD)
    User.objects(pk=user.pk).update_one(set__password_hash=strong)
    assert login(client, "wang").status_code == 302
    rehashed = User.objects.get(pk=user.pk).password_hash
    assert rehashed.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    # ... and the rehashed password still logs in, from another browser.
    assert login(client.application.test_client(), "wang").status_code == 302


def test_with_the_background_indexer_a_save_is_found_without_anyone_indexing(make_app, make_user):
    """PORTAL_SEARCH_INDEXER=background, as `portal serve` runs: nobody drains."""
    app = make_app(SEARCH_INDEXER="background")
    assert "search_indexer_thread" not in app.extensions  # the factory starts nothing
    assert "search_indexer_thread" in start_workers(app)
    cs = Department(code="CS", name="客服中心").save()
    make_user("wang", roles=["staff"], department=cs)
    with app.app_context():
        saved = create_record(
            actor("wang", "staff", department="CS"),
            "handover_log",
            {**HANDOVER, "events": "客户投诉空调噪音。"},
        )
    client = app.test_client()
    login(client, "wang")
    deadline = time.monotonic() + 10
    found = []
    while not found and time.monotonic() < deadline:
        found = client.get("/api/v1/search?q=噪音").json["results"]
        time.sleep(0.1)
    assert [hit["number"] for hit in found] == [saved.number]


def test_the_search_engine_is_tantivy_unless_whoosh_is_chosen(app_config, monkeypatch):
    app = create_app(app_config)
    assert app.config["SEARCH_ENGINE"] == "tantivy"
    assert app.extensions["search_index"].live().engine == "tantivy"
    monkeypatch.setenv("PORTAL_SEARCH_ENGINE", "whoosh")
    assert create_app(app_config).extensions["search_index"].live().engine == "whoosh"
    monkeypatch.setenv("PORTAL_SEARCH_ENGINE", "lucene")
    with pytest.raises(ValueError, match="PORTAL_SEARCH_ENGINE"):
        create_app(app_config)
