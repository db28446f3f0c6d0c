"""The back office: who sees what, and account management through it."""

from __future__ import annotations

import pytest

from portal.models import Department, User
from tests.helpers import PASSWORD, login, post_form

ADMIN_ONLY = ("/admin/users/", "/admin/users/new/", "/admin/departments/", "/admin/tokens/")


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for path in ("/admin/", *ADMIN_ONLY, "/admin/account/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["staff", "controller", "approver", "auditor"])
def test_non_admins_cannot_open_admin_views_even_by_url(client, make_user, role):
    make_user("li", roles=[role])
    login(client, "li")
    for path in ADMIN_ONLY:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "您无权打开此页面" in response.get_data(as_text=True)
    menu = client.get("/admin/").get_data(as_text=True)
    assert "/admin/users/" not in menu
    assert "/admin/account/" in menu


def test_non_admins_cannot_create_users_by_posting_directly(client, make_user):
    make_user("li", roles=["staff"])
    login(client, "li")
    response = post_form(
        client,
        "/admin/users/new/",
        {"username": "intruder", "full_name": "X", "password": PASSWORD, "roles": "admin"},
        page="/admin/account/",
    )
    assert response.status_code == 403
    assert User.objects(username="intruder").first() is None


def test_admin_creates_a_department_and_a_user_who_can_then_log_in(app, client, make_user):
    make_user("root", roles=["admin"])
    login(client, "root")
    response = post_form(
        client, "/admin/departments/new/", {"code": "CS", "name": "客服中心", "active": "y"}
    )
    assert response.status_code == 302
    assert Department.objects.get(code="CS").name == "客服中心"
    response = post_form(
        client,
        "/admin/users/new/",
        {
            "username": "Zhang.Wei",
            "full_name": "张伟",
            "email": "zw@example.org",
            "department": "CS",
            "roles": ["staff", "controller"],
            "locale": "",
            "active": "y",
            "password": "a new secret 42",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    created = User.objects.get(username="zhang.wei")
    assert created.department.code == "CS"
    assert set(created.roles) == {"staff", "controller"}
    assert created.password_hash.startswith("$argon2")
    other = app.test_client()
    assert login(other, "zhang.wei", "a new secret 42").status_code == 302


def test_admin_sees_a_clear_message_and_nothing_is_created_on_bad_input(client, make_user):
    make_user("root", roles=["admin"])
    login(client, "root")

    def new_user(**values):
        """The new-user form sent with ``values`` over an acceptable user."""
        user = {
            "username": "newbie",
            "full_name": "New",
            "department": "",
            "locale": "",
            "roles": ["staff"],
            "password": "long enough 123",
        }
        return post_form(client, "/admin/users/new/", {**user, **values}, follow_redirects=True)

    duplicate = new_user(username="root", full_name="Again")
    assert "用户名 root 已被使用。" in duplicate.get_data(as_text=True)
    short = new_user(password="short")
    assert "密码至少需要 10 个字符。" in short.get_data(as_text=True)
    bogus_role = new_user(roles=["emperor"])
    assert bogus_role.status_code == 200  # the form again, with its error
    assert User.objects(username="newbie").first() is None
    assert User.objects.count() == 1


def test_there_is_no_delete_for_users_only_disable(client, make_user):
    make_user("root", roles=["admin"])
    victim = make_user("li", roles=["staff"])
    login(client, "root")
    listing = client.get("/admin/users/").get_data(as_text=True)
    assert "/admin/users/delete/" not in listing
    deleted = post_form(
        client, "/admin/users/delete/", {"id": str(victim.pk)}, page="/admin/users/"
    )
    assert deleted.status_code in (302, 404, 405)
    assert User.objects(username="li").first() is not None
    post_form(
        client,
        "/admin/users/action/",
        {"action": "disable", "rowid": [str(victim.pk)]},
        page="/admin/users/",
    )
    assert User.objects.get(username="li").active is False


def test_a_user_changes_their_own_password(app, client, make_user):
    make_user("li", roles=["staff"])
    login(client, "li")
    wrong = post_form(
        client,
        "/admin/account/",
        {
            "current_password": "not it",
            "password": "brand new pass 7",
            "confirm": "brand new pass 7",
        },
    )
    assert wrong.status_code == 400
    assert "当前密码不正确。" in wrong.get_data(as_text=True)
    mismatch = post_form(
        client,
        "/admin/account/",
        {
            "current_password": PASSWORD,
            "password": "brand new pass 7",
            "confirm": "other pass 77",
        },
    )
    assert "两次输入的新密码不一致。" in mismatch.get_data(as_text=True)
    other_session = app.test_client()
    login(other_session, "li")
    done = post_form(
        client,
        "/admin/account/",
        {
            "current_password": PASSWORD,
            "password": "brand new pass 7",
            "confirm": "brand new pass 7",
        },
        follow_redirects=True,
    )
    assert "密码已修改。" in done.get_data(as_text=True)
    assert client.get("/").status_code == 200  # this session goes on
    assert other_session.get("/").status_code == 302  # the other one ended
    assert login(app.test_client(), "li", "brand new pass 7").status_code == 302
    assert login(app.test_client(), "li", PASSWORD).status_code == 401
