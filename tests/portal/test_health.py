"""``GET /healthz`` tells a load balancer whether this portal can serve, and
*System status* tells an administrator the same."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from portal import create_app
from portal.database.embedded import EmbeddedDatabase
from records.operations import create_record
from tests.helpers import login
from tests.records.conftest import HANDOVER, actor


def test_healthy_portal_answers_200_with_each_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["search_index"]["ok"] is True
    assert body["search_index"]["writable"] is True
    assert body["search_index"]["documents"] == 0
    assert body["outbox"] == {**body["outbox"], "ok": True, "pending": 0}
    assert body["workers"]["ok"] is True


def test_a_broken_search_index_answers_503(app, client):
    store = app.extensions["search_index"]
    for path in (store.root / store.live_name() / "current").iterdir():
        path.write_bytes(b"garbage")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["search_index"]["ok"] is False
    assert response.json["database"]["ok"] is True


def test_an_index_folder_that_cannot_be_written_answers_503_until_it_can(app, client):
    indexer = app.extensions["search_indexer"]
    root = Path(app.extensions["search_index"].root)
    assert client.get("/healthz").status_code == 200
    # What a read-only or full disk does to the index, made so that it holds
    # for root too (who writes through chmod): the folder's place is taken
    # by a file, so every write below it fails.
    aside = root.with_name("index-aside")
    root.rename(aside)
    root.write_text("not a folder")
    create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    assert indexer.step() == 0  # the save is kept; the index cannot take it
    response = client.get("/healthz")
    assert response.status_code == 503
    index = response.json["search_index"]
    assert index["ok"] is False and index["writable"] is False
    assert "NotADirectoryError" in index["error"]
    assert index["indexer_error"]
    assert response.json["outbox"]["pending"] == 1

    root.unlink()
    aside.rename(root)
    indexer.step()  # a rebuild (the damaged folder was set aside) or one batch
    response = client.get("/healthz")
    assert response.status_code == 200, response.json
    assert response.json["search_index"]["documents"] == 1
    assert response.json["outbox"]["pending"] == 0


def test_a_backlog_of_changes_above_the_threshold_is_degraded(app, client):
    app.config["HEALTH_OUTBOX_MAX_PENDING"] = 2
    for _ in range(3):
        create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "degraded"
    assert response.json["outbox"]["pending"] == 3
    app.extensions["search_indexer"].drain()
    assert client.get("/healthz").status_code == 200


def test_a_change_waiting_too_long_is_degraded(app, client):
    app.config["HEALTH_OUTBOX_MAX_AGE_SECONDS"] = 0
    create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    time.sleep(0.05)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["outbox"]["oldest_age_seconds"] > 0
    app.extensions["search_indexer"].drain()
    assert client.get("/healthz").status_code == 200


def test_a_background_worker_that_died_answers_503(app, client):
    dead = threading.Thread(target=lambda: None, name="deadlines")
    dead.start()
    dead.join()
    app.extensions["deadline_thread"] = dead
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["workers"] == {
        "ok": False,
        "deadlines": "stopped",
        "search_indexer": "not started",
        "mail": "not started",
        "backups": "not started",
        "attachment_text": "not started",
    }


def test_administrators_see_the_same_report_translated(app, client, make_user):
    make_user("root", roles=["admin"])
    make_user("li", roles=["staff"])
    assert login(client, "root").status_code == 302
    page = client.get("/admin/status/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Every part works." in html and "Records indexed" in html
    app.config["HEALTH_OUTBOX_MAX_PENDING"] = 0
    create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    page = client.get("/admin/status/", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert "Degraded: searches lag behind the saved changes." in html
    assert html.count("Does not work") == 1  # the waiting changes, nothing else
    page = client.get("/admin/status/", headers={"Accept-Language": "zh-TW"})
    assert "降級" in page.get_data(as_text=True)  # traditional Chinese
    other = app.test_client()
    login(other, "li")
    assert other.get("/admin/status/").status_code == 403


def test_a_database_that_is_away_answers_503_at_once_in_the_users_language(
    app_config, tmp_path, make_user
):
    server = EmbeddedDatabase(tmp_path / "own-db", attach=False)
    server.start()
    try:
        app = create_app({**app_config, "MONGODB_URI": server.uri, "MONGODB_TIMEOUT_MS": 1000})
        client = app.test_client()
        with app.app_context():
            from portal.accounts import create_token, create_user

            user = create_user("li", "Li", "correct horse battery", roles=["staff"])
            _token, bearer = create_token(user, "test")
        assert login(client, "li").status_code == 302
        assert client.get("/healthz").status_code == 200
        server.stop()

        started = time.monotonic()
        response = client.get("/healthz")
        assert time.monotonic() - started < 2
        assert response.status_code == 503
        assert response.json["status"] == "unavailable"
        assert response.json["database"]["ok"] is False

        started = time.monotonic()
        api = app.test_client().get(
            "/api/v1/me", headers={"Authorization": f"Bearer {bearer}", "Accept-Language": "en"}
        )
        assert time.monotonic() - started < 2
        assert api.status_code == 503
        assert api.json["error"] == "database_unavailable"
        assert "not answering" in api.json["message"]

        started = time.monotonic()
        page = client.get("/")
        assert time.monotonic() - started < 2
        assert page.status_code == 503
        assert page.headers["Retry-After"]
        assert "数据库" in page.get_data(as_text=True)  # zh_Hans, the default
    finally:
        server.stop()


def test_a_save_held_up_too_long_by_another_process_answers_503_and_saves_nothing(
    app, database, make_user, monkeypatch
):
    from portal.accounts import create_token
    from records import presence, store
    from records.store import database as records_db
    from tests.records.test_presence import _holder, _kill

    user = make_user("li", roles=["staff"])
    _token, bearer = create_token(user, "test")
    # A live process of the deployment inside a transaction that holds the
    # audit head (hung, not dead: nobody ends it); and a unit of work that
    # gives up after 1 s instead of 30.
    holder = _holder(database)
    monkeypatch.setattr(store, "RETRY_FOR", 1.0)
    try:
        response = app.test_client().post(
            "/api/v1/records/handover_log",
            json={"data": HANDOVER},
            headers={"Authorization": f"Bearer {bearer}", "Accept-Language": "en"},
        )
        assert response.status_code == 503
        assert response.json["error"] == "records_busy"
        assert "nothing was saved" in response.json["message"]
        assert response.headers["Retry-After"]
        assert records_db().records.count_documents({}) == 0
    finally:
        _kill(holder)
        presence.reap(records_db())
