"""E-mail notifications against a real SMTP server (aiosmtpd) started here:
who is told what, in which language, with which link; nothing confidential;
an outage loses nothing and sends nothing twice; kinds people turned off."""

from __future__ import annotations

import email
import socket
import threading
import time
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from portal.cli import main
from portal.models import Department, User
from portal.workers.mail import claim, render, send_due, start_mail_thread
from records import worklists
from records.clock import local_now, utcnow
from records.notifications import COLLECTION
from records.operations import create_record, transition_record
from records.store import database
from tests.helpers import login, post_form
from tests.records.people import CHEN, DIRECTOR, LI, SIGN, TECH, ZHAO, person, stored_user

ZHOU = person("zhou", "controller", department="CS")

SECRET_CONTACT = "张先生 13912345678"
SECRET_ADDRESS = "华源小区7号楼1201室"
COMPLAINT = {
    "title": "三号楼暖气不热",
    "channel": "hotline",
    "customer": "华源小区业主委员会",
    "contact": SECRET_CONTACT,
    "address": SECRET_ADDRESS,
    "description": "三号楼暖气连续三天不热。",
}
DISPATCH = {
    "department": "HEAT",
    "handler": "li",
    "subject": "service_quality",
    "responsibility": "1",
}


class Inbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone@"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """aiosmtpd on a fixed loopback port, which can go down and come back."""

    def __init__(self, inbox: Inbox):
        self.inbox = inbox
        self.port = free_port()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    inbox = Inbox()
    server = SmtpServer(inbox)
    server.start()
    yield server, inbox
    server.stop()


@pytest.fixture
def org(app, make_user):
    departments = {code: Department(code=code, name=code).save() for code in ("CS", "HEAT", "MGMT")}
    for who, locale in (
        (CHEN, "en"),
        (ZHOU, "en"),
        (LI, "zh_Hant"),
        (ZHAO, "zh_Hans"),
        (DIRECTOR, None),
        (TECH, "en"),
    ):
        stored_user(
            who, departments[who.department], email=f"{who.username}@example.org", locale=locale
        )
    # A second controller, without an address: never written to.
    stored_user(person("nomail", "controller", department="CS"), departments["CS"])


def configure(app, controller, **more):
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=controller.port,
        BASE_URL="https://portal.example.org",
        **more,
    )


def text(message) -> tuple[str, str]:
    subject = str(make_header(decode_header(message["Subject"])))
    return subject, message.get_payload(decode=True).decode(message.get_content_charset())


def to(message) -> str:
    return message["To"]


def received(hours_ago: float = 1) -> str:
    return (local_now() - timedelta(hours=hours_ago)).replace(microsecond=0).isoformat()


def complaint(**extra):
    return create_record(CHEN, "complaint_sheet", {**COMPLAINT, "received_at": received(), **extra})


def full_process(**facts):
    """A complaint dispatched, planned, approved, replied to and rejected."""
    sheet = complaint(**facts)
    transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    transition_record(LI, sheet.number, "submit_plan", changes={"plan": "更换循环泵"})
    transition_record(DIRECTOR, sheet.number, "approve_plan", password=SIGN)
    transition_record(
        LI,
        sheet.number,
        "reply",
        changes={
            "reply_method": "phone",
            "reply_date": local_now().date().isoformat(),
            "reply_content": "已更换循环泵",
        },
    )
    rejected = transition_record(CHEN, sheet.number, "reject", comment="仍然不热")
    return sheet, rejected.data["reopened_as"]


def test_the_right_people_in_their_language_with_a_link_and_nothing_confidential(app, org, smtp):
    controller, inbox = smtp
    configure(app, controller)
    sheet, reopened = full_process(lawsuit=True)  # major: the director approves

    done = send_due(app)

    sent = [(to(m), *text(m)) for m in inbox.messages]
    assert done.sent == len(sent) == 3
    by_person = {address: (subject, body) for address, subject, body in sent}
    # Dispatch: the handler, in traditional Chinese.
    subject, body = by_person["li@example.org"]
    assert subject == f"顧客投訴處理單 {sheet.number} 已派發給您"
    assert "處理方案應於" in body
    link = f"https://portal.example.org/admin/records_complaint_sheet/details/?id={sheet.pk}"
    assert link in body
    # The plan of a major complaint: the director (no locale: simplified
    # Chinese), not the technical manager.
    subject, body = by_person["director@example.org"]
    assert subject == f"顾客投诉处理单 {sheet.number} 等待您审批"
    assert link in body
    assert "tech@example.org" not in by_person
    # The rejection: the other controllers with an address (not chen, who
    # rejected it himself), in English, with the new sheet.
    assert "chen@example.org" not in by_person
    subject, body = by_person["zhou@example.org"]
    assert subject == f"The customer rejects {sheet.number}: new sheet {reopened}"
    assert "Open the record:" in body
    for message in inbox.messages:
        raw = message.as_string() + "".join(text(message))
        assert SECRET_CONTACT not in raw and "13912345678" not in raw
        assert SECRET_ADDRESS not in raw


def test_other_complaints_wait_for_the_director_or_the_technical_manager(app, org, smtp):
    controller, inbox = smtp
    configure(app, controller)
    sheet = complaint()
    transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    transition_record(LI, sheet.number, "submit_plan", changes={"plan": "更换循环泵"})

    send_due(app)

    approvals = {to(m): text(m)[0] for m in inbox.messages if "li@" not in to(m)}
    assert approvals == {
        "director@example.org": f"顾客投诉处理单 {sheet.number} 等待您审批",
        "tech@example.org": f"Customer complaint sheet {sheet.number} waits for your approval",
    }


def test_a_rolled_back_change_queues_nothing(app, org):
    sheet = complaint()
    with pytest.raises(Exception):  # noqa: B017  (the handler works elsewhere)
        transition_record(CHEN, sheet.number, "dispatch", changes={**DISPATCH, "department": "CS"})
    assert database()[COLLECTION].count_documents({}) == 0


def test_an_smtp_outage_then_recovery_sends_each_message_exactly_once(app, org, smtp):
    controller, inbox = smtp
    configure(app, controller)
    controller.stop()  # the server is down
    sheet = complaint()
    transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    transition_record(LI, sheet.number, "submit_plan", changes={"plan": "更换循环泵"})

    down = send_due(app)
    assert (down.sent, down.failed) == (0, 1)
    waiting = list(database()[COLLECTION].find({"status": "pending"}))
    assert len(waiting) == 3
    assert sum(1 for w in waiting if w["attempts"] == 1 and w["last_error"]) == 1
    # Backoff: the failed message is not tried again at once.
    database()[COLLECTION].update_many({}, {"$set": {"next_try_at": utcnow()}})

    controller.start()  # and back
    first = send_due(app)
    again = send_due(app)
    assert (first.sent, again.sent) == (3, 0)
    assert sorted(to(m) for m in inbox.messages) == [
        "director@example.org",
        "li@example.org",
        "tech@example.org",
    ]
    assert database()[COLLECTION].count_documents({"status": "sent"}) == 3


def test_two_workers_never_send_the_same_message(app, org, smtp):
    controller, inbox = smtp
    configure(app, controller)
    for _ in range(4):
        transition_record(CHEN, complaint().number, "dispatch", changes=DISPATCH)
    threads = [threading.Thread(target=send_due, args=(app,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(inbox.messages) == 4
    assert len({m["Message-ID"] for m in inbox.messages}) == 4
    ids = {f"<{e['_id']}@records-portal>" for e in database()[COLLECTION].find()}
    assert {m["Message-ID"] for m in inbox.messages} == ids


def test_deadline_notices_once_each_and_reminders_to_the_department(app, org, smtp):
    controller, inbox = smtp
    configure(app, controller)
    sheet = complaint()
    dispatched = transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    due = dispatched.due_at
    send_due(app)
    assert [text(m)[0] for m in inbox.messages] == [f"顧客投訴處理單 {sheet.number} 已派發給您"]
    # Two hours before the plan is due: "due soon", once however often the
    # worker looks.
    send_due(app, now=due - timedelta(hours=2))
    send_due(app, now=due - timedelta(hours=1))
    # Past it: "overdue", once.
    send_due(app, now=due + timedelta(hours=1))
    send_due(app, now=due + timedelta(hours=5))
    subjects = [text(m)[0] for m in inbox.messages[1:]]
    assert len(subjects) == 2
    assert subjects[0].startswith(f"{sheet.number} 即將到期：")
    assert subjects[1].startswith(f"{sheet.number} 已逾期（期限 ")
    assert {to(m) for m in inbox.messages} == {"li@example.org"}

    # Time passes beyond the due time (moved into the past, as the reminder
    # checks the real clock); the controller reminds: the record's handler and
    # its department's people are told.
    database().records.update_one(
        {"number": sheet.number}, {"$set": {"due_at": utcnow() - timedelta(hours=1)}}
    )
    reminder = worklists.issue_reminder(CHEN, sheet.number, "请尽快提交处理方案")
    send_due(app)
    reminders = [m for m in inbox.messages if reminder["number"] in text(m)[0]]
    assert sorted(to(m) for m in reminders) == ["li@example.org", "zhao@example.org"]
    assert all(sheet.number in text(m)[0] for m in reminders)


def test_a_person_who_turned_a_kind_off_gets_none_of_it(app, org, smtp):
    controller, inbox = smtp
    configure(app, controller)
    User.objects(username="li").update(set__mail_off=["dispatched"])
    User.objects(username="tech").update(set__mail_off=["approval"])
    sheet = complaint()
    transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    transition_record(CHEN, sheet.number, "redispatch", changes=DISPATCH, comment="再派")
    transition_record(LI, sheet.number, "submit_plan", changes={"plan": "更换循环泵"})

    send_due(app)

    assert [to(m) for m in inbox.messages] == ["director@example.org"]


def test_my_account_turns_kinds_off_and_on(app, make_user, client):
    make_user("wu", roles=["staff"], email="wu@example.org")
    login(client, "wu")
    page = client.get("/admin/account/").get_data(as_text=True)
    assert "派发给我" in page
    response = post_form(
        client,
        "/admin/account/notices/",
        {"kinds": ["dispatched", "approval", "reminder", "rejected"]},
        page="/admin/account/",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert sorted(User.objects.get(username="wu").mail_off) == ["due_soon", "overdue"]
    post_form(
        client,
        "/admin/account/notices/",
        {"kinds": ["due_soon", "nonsense"]},
        page="/admin/account/",
    )
    assert sorted(User.objects.get(username="wu").mail_off) == [
        "approval",
        "dispatched",
        "overdue",
        "rejected",
        "reminder",
    ]


def test_without_smtp_administrators_read_the_messages_on_a_page(app, org, make_user):
    sheet = complaint()
    transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    assert send_due(app).sent == 0
    make_user("root", roles=["admin"])
    admin = app.test_client()
    login(admin, "root")
    page = admin.get("/admin/outbox/").get_data(as_text=True)
    assert f"{sheet.number} 已派發給您" in page
    assert "li@example.org" in page
    assert SECRET_CONTACT not in page
    staff = app.test_client()
    make_user("wu", roles=["staff"])
    login(staff, "wu")
    assert staff.get("/admin/outbox/").status_code in (302, 403, 404)


@pytest.mark.parametrize("locale", [None, "fr", "not a language"])
def test_render_falls_back_to_the_default_language(app, locale):
    entry = {
        "kind": "approval",
        "locale": locale,
        "record_id": "x",
        "params": {"number": "QR-015-2026-0001", "type": "complaint_sheet"},
    }
    with app.app_context():
        subject, body = render(entry, "http://127.0.0.1:5000")
    assert subject == "顾客投诉处理单 QR-015-2026-0001 等待您审批"
    assert "http://127.0.0.1:5000/admin/records_complaint_sheet/details/?id=x" in body
    assert "Content-Type" not in body  # no catalog header for a missing state


def test_portal_mail_send_sends_once_from_the_shell(app, app_config, org, smtp, monkeypatch):
    controller, inbox = smtp
    sheet = complaint()
    transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    for key, value in (
        ("MONGODB_URI", app_config["MONGODB_URI"]),
        ("MONGODB_DB", app_config["MONGODB_DB"]),
        ("DATA_DIR", app_config["DATA_DIR"]),
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", str(controller.port)),
    ):
        monkeypatch.setenv(f"PORTAL_{key}", value)
    runner = CliRunner()
    first = runner.invoke(main, ["mail", "send"], catch_exceptions=False)
    again = runner.invoke(main, ["mail", "send"], catch_exceptions=False)
    assert first.exit_code == again.exit_code == 0, first.output
    assert "1 sent" in first.output and "0 sent" in again.output
    assert [to(m) for m in inbox.messages] == ["li@example.org"]
    body = text(inbox.messages[0])[1]
    assert f"http://127.0.0.1:5000/admin/records_complaint_sheet/details/?id={sheet.pk}" in body


def test_the_app_factory_starts_no_mail_worker_and_serve_s_worker_sends(make_app, smtp):
    controller, inbox = smtp
    built = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, MAIL_SEND_SECONDS=0.2)
    assert "mail_thread" not in built.extensions
    assert not any(t.name == "mail" for t in threading.enumerate())
    with built.app_context():
        departments = {code: Department(code=code, name=code).save() for code in ("CS", "HEAT")}
        stored_user(LI, departments["HEAT"], email="li@example.org")
        sheet = complaint()
        transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    thread = start_mail_thread(built)
    try:
        deadline = time.monotonic() + 10
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        thread.stop()
        thread.join(10)
    assert [to(m) for m in inbox.messages] == ["li@example.org"]


def test_an_address_the_server_refuses_is_kept_undeliverable_and_the_rest_go(
    app, org, smtp, make_user
):
    controller, inbox = smtp
    configure(app, controller)
    User.objects(username="li").update(set__email="gone@example.org")
    sheet = complaint()
    transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    transition_record(LI, sheet.number, "submit_plan", changes={"plan": "更换循环泵"})

    first = send_due(app)
    database()[COLLECTION].update_many({}, {"$set": {"next_try_at": utcnow()}})
    again = send_due(app)

    assert (first.sent, first.failed, again.sent, again.failed) == (2, 1, 0, 0)
    assert sorted(to(m) for m in inbox.messages) == ["director@example.org", "tech@example.org"]
    make_user("root", roles=["admin"])
    admin = app.test_client()
    login(admin, "root")
    page = admin.get("/admin/outbox/").get_data(as_text=True)
    assert "邮件服务器拒收" in page and "No such mailbox" in page


def test_a_message_claimed_by_a_worker_that_died_is_sent_once_its_claim_expires(app, org, smtp):
    controller, inbox = smtp
    configure(app, controller)
    sheet = complaint()
    transition_record(CHEN, sheet.number, "dispatch", changes=DISPATCH)
    db = database()
    # Another worker claimed the message, then was killed before sending.
    with app.app_context():
        assert claim(db, utcnow(), "dead-worker", 120) is not None

    assert send_due(app).sent == 0
    assert inbox.messages == []
    # Its claim runs out (two minutes later): the message goes, once.
    db[COLLECTION].update_many({}, {"$set": {"claimed_until": utcnow() - timedelta(seconds=1)}})
    assert send_due(app).sent == 1
    assert send_due(app).sent == 0
    assert [to(m) for m in inbox.messages] == ["li@example.org"]
