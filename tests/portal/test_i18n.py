"""Languages: zh_Hans by default, zh_Hant and en complete, chosen per user."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portal.config import PROJECT_ROOT
from portal.i18n import NATIVE_NAMES
from portal.models import User
from tests.helpers import login, post_form

TRANSLATIONS = PROJECT_ROOT / "translations"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def _catalog(locale: str, domain: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.po", "rb") as po:
        return read_po(po, locale=locale)


def _source_messages() -> set[str]:
    method_map = [
        ("portal/**.py", "python"),
        ("records/**.py", "python"),
        ("search_index/**.py", "python"),
        ("templates/**.html", "jinja2"),
    ]
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "_l": None,
        "N_": None,
        "lazy_gettext": None,
    }
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
def test_every_portal_string_is_translated(locale):
    catalog = _catalog(locale, "messages")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0]): m.string
        for m in catalog
        if m.id and not m.fuzzy and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(_source_messages() - set(translated))
    assert not missing, f"{locale} lacks: {missing}"


@pytest.mark.parametrize(
    ("locale", "domain"),
    [
        ("zh_Hans", "admin"),
        ("zh_Hant", "admin"),
        ("zh_Hans", "wtforms"),
        ("zh_Hant", "wtforms"),
    ],
)
def test_back_office_and_form_catalogs_are_complete(locale, domain):
    catalog = _catalog(locale, domain)
    empty = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string)))
    ]
    assert not empty


def test_the_browser_language_is_used_until_the_user_chooses(client):
    assert 'lang="zh-Hans"' in client.get("/login").get_data(as_text=True)
    taiwan = client.get("/login", headers={"Accept-Language": "zh-TW,zh;q=0.8"})
    assert 'lang="zh-Hant"' in taiwan.get_data(as_text=True)
    assert "登入" in taiwan.get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Log in" in english.get_data(as_text=True)


def test_the_chosen_language_is_kept_per_user(app, client, make_user):
    make_user("li", roles=["staff"])
    login(client, "li")
    response = post_form(client, "/language", {"language": "en", "next": "/"}, page="/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert User.objects.get(username="li").locale == "en"
    elsewhere = app.test_client()  # another browser, asking for Chinese
    login(elsewhere, "li")
    page = elsewhere.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="en"' in page and "Welcome, Li" in page


def test_an_unknown_language_is_refused(client):
    response = post_form(client, "/language", {"language": "xx", "next": "/login"}, page="/login")
    assert response.status_code == 303
    assert 'lang="zh-Hans"' in client.get("/login").get_data(as_text=True)


def test_dates_follow_the_language_and_the_portal_time_zone(client, make_user):
    make_user("li", roles=["staff"], locale="zh_Hans")
    login(client, "li")
    # 01:02:03 UTC is 09:02:03 in Asia/Shanghai.
    User.objects(username="li").update_one(set__last_login_at=datetime(2026, 3, 5, 1, 2, 3))
    assert "2026年3月5日 09:02:03" in client.get("/").get_data(as_text=True)
    User.objects(username="li").update_one(set__locale="en")
    assert "Mar 5, 2026, 9:02:03" in client.get("/").get_data(as_text=True)


PAGES = [
    "/",
    "/admin/",
    "/admin/users/",
    "/admin/users/new/",
    "/admin/departments/",
    "/admin/departments/new/",
    "/admin/tokens/",
    "/admin/account/",
    "/no-such-page",
]


def _visible_text(html: str) -> str:
    for name in NATIVE_NAMES.values():
        html = html.replace(name, "")
    # Each language's button is marked in its own language (简, 繁, EN) on purpose.
    html = re.sub(r'<button[^>]*\slang="[^"]+"[^>]*>.*?</button>', "", html, flags=re.S)
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _characters(locale: str) -> set[str]:
    found = set()
    for domain in ("messages", "admin", "wtforms"):
        for message in _catalog(locale, domain):
            strings = [message.string] if isinstance(message.string, str) else message.string
            for text in strings if message.id else ():
                found.update(CJK.findall(text or ""))
    return found


def _simplified_only() -> set[str]:
    """Characters our zh_Hans catalogs use that zh_Hant never does (删, 录, 户…)."""
    return _characters("zh_Hans") - _characters("zh_Hant")


@pytest.mark.parametrize("locale", ["zh_Hant", "en"])
def test_pages_show_no_untranslated_simplified_chinese(client, make_user, locale):
    make_user("root", roles=["admin"], full_name="Root User", locale=locale)
    login(client, "root")
    simplified = _simplified_only()
    assert len(simplified) > 50  # the check below has something to find
    for path in PAGES:
        text = _visible_text(client.get(path).get_data(as_text=True))
        if locale == "en":
            assert not CJK.search(text), f"{path}: {CJK.findall(text)[:10]}"
        else:
            leftovers = sorted(set(CJK.findall(text)) & simplified)
            assert not leftovers, f"{path}: {leftovers}"
        assert "lang=" not in text


def test_catalog_directories_are_the_three_languages():
    assert sorted(p.name for p in Path(TRANSLATIONS).iterdir() if p.is_dir()) == [
        "en",
        "zh_Hans",
        "zh_Hant",
    ]
