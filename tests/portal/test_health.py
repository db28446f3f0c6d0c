"""``GET /healthz`` tells a load balancer whether this portal can serve."""

from __future__ import annotations

from portal import create_app
from portal.embedded_db import EmbeddedDatabase


def test_healthy_portal_answers_200_with_each_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["search_index"]["ok"] is True
    assert body["search_index"]["documents"] == 0


def test_a_broken_search_index_answers_503(app, client):
    store = app.extensions["search_index"]
    for path in (store.root / store.live_name() / "current").iterdir():
        path.write_bytes(b"garbage")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["search_index"]["ok"] is False
    assert response.json["database"]["ok"] is True


def test_a_stopped_database_answers_503(app_config, tmp_path):
    server = EmbeddedDatabase(tmp_path / "own-db", attach=False)
    server.start()
    try:
        app = create_app({**app_config, "MONGODB_URI": server.uri})
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        server.stop()
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json["status"] == "unavailable"
        assert response.json["database"]["ok"] is False
    finally:
        server.stop()
