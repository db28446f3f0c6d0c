"""Logging in and out, as a person at the login page experiences it."""

from __future__ import annotations

from portal.models import LoginThrottle, User
from tests.helpers import PASSWORD, csrf_token, login, post_form


def test_login_page_is_shown_in_simplified_chinese_by_default(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert "登录" in html and "用户名" in html


def test_right_password_logs_in_and_records_the_login(client, make_user):
    make_user("wang", roles=["staff"], full_name="王芳")
    response = login(client, "wang")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "王芳" in home
    assert User.objects.get(username="wang").last_login_at is not None


def test_login_returns_to_the_page_asked_for_but_never_off_site(client, make_user):
    make_user("wang")
    token = csrf_token(client)
    data = {"username": "wang", "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", data={**data, "next": "/admin/account/"})
    assert response.headers["Location"] == "/admin/account/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    token = csrf_token(client)
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/login", data={**data, "csrf_token": token, "next": evil})
        assert response.headers["Location"] == "/", evil
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        token = csrf_token(client)


def test_wrong_password_and_unknown_user_get_the_same_clear_message(client, make_user):
    make_user("wang")
    wrong = login(client, "wang", "not the password")
    unknown = login(client, "nobody", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "用户名或密码错误。" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not logged in


def test_disabled_user_cannot_log_in(client, make_user):
    make_user("zhao", active=False)
    response = login(client, "zhao")
    assert response.status_code == 401
    assert "该账户已停用" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_repeated_failures_lock_the_name_even_for_the_right_password(app, client, make_user):
    make_user("wang")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "wang", "guess").status_code == 401
    locked = login(client, "wang")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302
    # Unknown names are locked the same way, so locking reveals nothing.
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, "ghost", "guess")
    assert login(client, "ghost", "guess").status_code == 429


def test_a_successful_login_clears_earlier_failures(app, client, make_user):
    make_user("wang")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, "wang", "guess")
    assert login(client, "wang").status_code == 302
    assert LoginThrottle.objects(key="wang").first() is None


def test_login_without_or_with_a_wrong_csrf_token_is_refused(client, make_user):
    make_user("wang")
    missing = client.post("/login", data={"username": "wang", "password": PASSWORD})
    forged = client.post(
        "/login", data={"username": "wang", "password": PASSWORD, "csrf_token": "forged"}
    )
    for response in (missing, forged):
        assert response.status_code == 400
        assert "表单已过期或并非来自本站" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert User.objects.get(username="wang").last_login_at is None


def test_oversized_and_malformed_login_forms_are_refused_cleanly(client, make_user):
    make_user("wang")
    token = csrf_token(client)
    huge = client.post(
        "/login", data={"username": "wang", "password": "x" * 2_000_000, "csrf_token": token}
    )
    assert huge.status_code == 413
    assert "提交的内容过大" in huge.get_data(as_text=True)
    empty = client.post("/login", data={"csrf_token": token})
    assert empty.status_code == 400
    assert "请输入用户名" in empty.get_data(as_text=True)
    garbage = client.post(
        "/login", data=b"\xff\xfe%%%&&&=", content_type="application/x-www-form-urlencoded"
    )
    assert garbage.status_code == 400
    assert User.objects.get(username="wang").last_login_at is None


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user("wang")
    response = login(client, "wang")
    cookie = next(
        value
        for name, value in response.headers.items()
        if name == "Set-Cookie" and value.startswith("portal_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_logout_needs_a_post_with_csrf(client, make_user):
    make_user("wang")
    login(client, "wang")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in
    response = post_form(client, "/logout", {}, page="/", follow_redirects=True)
    assert "您已退出登录。" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_disabling_a_user_ends_their_open_session(client, make_user):
    from portal.accounts import disable_user

    user = make_user("wang")
    login(client, "wang")
    assert client.get("/").status_code == 200
    disable_user(user)
    assert client.get("/").status_code == 302


def test_bearer_token_identifies_the_user_until_revoked(client, make_user):
    from portal.accounts import create_token, revoke_token

    user = make_user("wang", roles=["auditor"])
    token, clear = create_token(user, "report script")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert me.status_code == 200
    assert me.json["username"] == "wang" and me.json["roles"] == ["auditor"]
    assert clear not in str(token.to_mongo())  # only the hash is stored
    revoke_token(token)
    refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert refused.status_code == 401
    assert refused.json["error"] == "unauthorized"


def test_unknown_pages_and_errors_answer_in_the_users_language(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "This page does not exist." in response.get_data(as_text=True)
