"""The search page, the search API and saved searches, as users meet them."""

from __future__ import annotations

import re

import pytest

from portal.models import Department, SavedSearch
from records.operations import create_record, revise_record
from tests.helpers import csrf_token, login, post_form
from tests.records.conftest import HANDOVER, actor


@pytest.fixture
def org(app, make_user):
    with app.app_context():
        cs = Department(code="CS", name="客服中心").save()
        qa = Department(code="QA", name="质检部").save()
        make_user("wang", roles=["staff"], department=cs)
        make_user("zhao", roles=["staff"], department=qa)
        make_user("audit", roles=["auditor"])
        mine = create_record(
            actor("wang", "staff", department="CS"),
            "handover_log",
            {**HANDOVER, "events": "客户<张先生>投诉空调噪音，要求上门。"},
        )
        theirs = create_record(
            actor("zhao", "staff", department="QA"),
            "handover_log",
            {**HANDOVER, "events": "质检部记录：客户投诉电梯噪音。"},
        )
        app.extensions["search_indexer"].drain()
    return {"mine": mine.number, "theirs": theirs.number}


def _revise_mine(app, org, events):
    """王芳 rewrites her record's events: it has a past version, indexed."""
    with app.app_context():
        revise_record(
            actor("wang", "staff", department="CS"), org["mine"], {"events": events}, base_version=1
        )
        app.extensions["search_indexer"].drain()


def test_the_search_page_shows_my_records_with_highlights_and_facets(client, org):
    login(client, "wang")
    page = client.get("/search?q=噪音").get_data(as_text=True)
    assert org["mine"] in page and org["theirs"] not in page
    assert "<mark>噪音</mark>" in page
    assert "&lt;张先生&gt;" in page  # text from the record is escaped
    assert "电梯" not in page  # nothing of the other department, not even in a snippet
    facets = re.findall(r'data-facet="department" data-value="([^"]+)"', page)
    assert facets == ["CS"]
    assert "客服中心" in page and "质检部" not in page
    state = re.search(r'data-facet="state" data-value="open">([^<]+)<', page)
    assert state.group(1) == "进行中"  # the state's name, not its code
    assert "night" not in page  # snippets show written text, not codes


def test_the_header_of_every_page_has_the_search_box(client, org):
    login(client, "wang")
    for path in ("/", "/admin/"):
        assert 'id="header-search-q"' in client.get(path).get_data(as_text=True)


def test_history_and_as_of_are_offered_to_auditors_only(client, app, org):
    _revise_mine(app, org, "已处理完毕")
    login(client, "wang")
    page = client.get("/search?q=噪音").get_data(as_text=True)
    assert 'name="history"' not in page
    refused = client.get("/search?q=噪音&history=1").get_data(as_text=True)
    assert "search-error" in refused and org["mine"] not in refused
    other = app.test_client()
    login(other, "audit")
    page = other.get("/search?q=噪音&history=1").get_data(as_text=True)
    assert 'name="history"' in page and f"{org['mine']}" in page
    assert "version=1" in page  # the hit links to the version that matched


def test_bad_input_gets_a_clear_message_not_a_500(client, org):
    login(client, "wang")
    for query in ('"unbalanced', "x" * 600, "漏水 AND", "*:*"):
        response = client.get("/search", query_string={"q": query})
        assert response.status_code == 200
    response = client.get("/search?q=x&from=yesterday")
    assert response.status_code == 200
    assert "yesterday" in response.get_data(as_text=True)
    assert "search-error" in response.get_data(as_text=True)


def test_the_search_needs_a_login(client, org):
    assert client.get("/search?q=噪音").status_code in (302, 401)
    assert client.get("/api/v1/search?q=噪音").status_code == 401


def test_the_api_answers_the_same_search_with_the_same_scoping(client, org):
    login(client, "wang")
    body = client.get("/api/v1/search?q=噪音").json
    assert body["total"] == 1
    assert [hit["number"] for hit in body["results"]] == [org["mine"]]
    assert "<mark>噪音</mark>" in body["results"][0]["snippet_html"]
    assert body["facets"]["department"] == [{"value": "CS", "count": 1, "label": "客服中心"}]
    bad = client.get("/api/v1/search?q=x&to=2026-13-40")
    assert bad.status_code == 400 and bad.json["error"] == "invalid_query"
    assert "2026-13-40" in bad.json["message"]


def test_a_saved_search_is_named_rerun_and_deleted_by_its_owner(client, app, org):
    login(client, "wang")
    response = post_form(
        client,
        "/search/saved",
        {"name": "空调噪音", "q": "噪音", "type": "handover_log"},
        page="/search?q=噪音",
    )
    assert response.status_code == 302
    saved = SavedSearch.objects.get(owner="wang")
    assert saved.params == {"q": ["噪音"], "type": ["handover_log"]}
    page = client.get("/search").get_data(as_text=True)
    assert "空调噪音" in page
    rerun = client.get(f"/search/saved/{saved.id}")
    assert rerun.status_code == 302 and "q=%E5%99%AA%E9%9F%B3" in rerun.headers["Location"]
    assert org["mine"] in client.get(rerun.headers["Location"]).get_data(as_text=True)
    twice = post_form(client, "/search/saved", {"name": "空调噪音", "q": "x"}, page="/search")
    assert twice.status_code == 302 and SavedSearch.objects.count() == 1
    other = app.test_client()
    login(other, "zhao")
    assert other.get(f"/search/saved/{saved.id}").status_code == 404
    token = csrf_token(other, "/search")
    assert (
        other.post(f"/search/saved/{saved.id}/delete", data={"csrf_token": token}).status_code
        == 404
    )
    assert SavedSearch.objects.count() == 1
    post_form(client, f"/search/saved/{saved.id}/delete", {}, page="/search")
    assert SavedSearch.objects.count() == 0


def test_saving_without_the_csrf_token_is_refused(client, org):
    login(client, "wang")
    response = client.post("/search/saved", data={"name": "x", "q": "噪音"})
    assert response.status_code == 400
    assert SavedSearch.objects.count() == 0


def test_a_disposal_certificate_among_the_hits_links_to_its_certificate(client, app, org):
    """A disposed record is found as its certificate, on the page and by the
    API, and the hit's link opens a page that shows that certificate."""
    from records.retention import dispose_record
    from tests.records.test_audit_retention import _closed_record

    with app.app_context():
        wang = actor("wang", "staff", department="CS")
        record = create_record(
            wang,
            "handover_log",
            {**HANDOVER, "events": "锅炉房噪音排查记录", "taken_over_by": "李雷"},
        )
        old = _closed_record(wang, 4, record)
        dispose_record(actor("director", "approver", department="MGMT"), old.number, "保存期满销毁")
        app.extensions["search_indexer"].drain()
    login(client, "audit")
    page = client.get("/search?q=销毁")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-number="{old.number}"' in html
    body = client.get("/api/v1/search?q=销毁")
    assert body.status_code == 200
    hits = body.json["results"]
    assert [hit["number"] for hit in hits] == [old.number]
    assert hits[0]["type"] == "disposal_certificate"
    assert f'href="{hits[0]["url"]}"'.replace("&", "&amp;") in html
    shown = client.get(hits[0]["url"])
    assert shown.status_code == 200
    certificate = shown.get_data(as_text=True)
    assert f'id="certificate-{old.number}"' in certificate and "保存期满销毁" in certificate


def test_every_kind_of_hit_links_to_a_page_that_opens(client, app, org):
    """Whatever a search finds (current records, past versions), its link
    answers 200: no hit can break the results page with a dead endpoint."""
    _revise_mine(app, org, "空调噪音已处理")
    login(client, "audit")
    for query in ("/api/v1/search?q=噪音", "/api/v1/search?q=噪音&history=1"):
        hits = client.get(query).json["results"]
        assert hits
        for hit in hits:
            assert client.get(hit["url"]).status_code == 200, hit["url"]


def test_every_severity_facet_reads_as_a_word_in_each_language(app):
    from portal.pages.search import facet_label
    from records.vocabularies import SEVERITIES

    expected = {"zh_Hans": "热点", "zh_Hant": "熱點", "en": "Hot"}
    for locale, hot in expected.items():
        with app.test_request_context(f"/search?lang={locale}"):
            from flask_babel import force_locale

            with force_locale(locale):
                labels = {c.value: facet_label("severity", c.value, {}) for c in SEVERITIES}
        assert labels["hot"] == hot, (locale, labels)
        assert all(label != value for value, label in labels.items()), labels
