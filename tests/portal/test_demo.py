"""``portal demo``: a new user meets a living portal, not an empty one."""

from __future__ import annotations

import re
import stat
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.actors import actor_for
from portal.cli import main
from portal.demo import DIRECTOR, USERS, DemoRefused, load_demo
from portal.models import User
from records import audit, clock, operations
from records.clock import local_now, utcnow
from records.complaints import REVISIT_ALL
from records.integrity import verify_records
from records.scoring import ITEM_FIELDS
from records.store import database
from records.types import registry
from records.worklists import my_tasks, overdue
from tests.helpers import PASSWORD, login

# Slow: the demo organisation is loaded in full.
pytestmark = pytest.mark.slow

#: Complaints in the small demo (the fixed scenarios are loaded whatever the size).
SMALL = 20


def test_demo_shows_every_form_in_its_states_with_the_right_people(app):
    summary = load_demo(PASSWORD, complaints=SMALL)
    db = database()

    # Every form has records, and every form with a workflow shows several states.
    states = {
        t.name: {d["state"] for d in db.records.find({"type": t.name}, {"state": 1})}
        for t in registry
    }
    assert all(summary["records"][name] for name in states), summary["records"]
    assert summary["total"] == db.records.count_documents({}) > 80
    for record_type in registry:
        if len(record_type.workflow.states) > 2:
            assert len(states[record_type.name]) >= 2, (record_type.name, states)
    assert {"received", "dispatched", "plan_submitted", "closed", "reopened", "void"} <= (
        states["complaint_sheet"]
    )
    assert len(states["complaint_sheet"]) >= 7
    assert {"effective", "superseded", "review", "draft"} <= states["procedure_document"]

    complaints = list(db.records.find({"type": "complaint_sheet"}))
    # The director signed the plan of a major complaint, with the version's hash.
    major = [
        c
        for c in complaints
        if c["data"]["severity"] == "major"
        and any(
            s["signer"] == DIRECTOR and s["transition"] == "approve_plan" for s in c["signatures"]
        )
    ]
    assert major and major[0]["signatures"][0]["version_hash"]
    # Closed important, hot and major complaints were revisited (major ones in person).
    for complaint in complaints:
        if complaint["state"] == "closed" and complaint["data"]["severity"] in REVISIT_ALL:
            methods = {
                r["data"]["method"]
                for r in db.records.find(
                    {"type": "revisit_record", "data.complaint": complaint["number"]}
                )
            }
            assert methods, complaint["number"]
            if complaint["data"]["severity"] == "major":
                assert "visit" in methods
    # A customer rejected a reply: the sheet is reopened, linked to its new sheet.
    reopened = [c for c in complaints if c["state"] == "reopened"]
    assert reopened
    for old in reopened:
        new = db.records.find_one({"number": old["data"]["reopened_as"]})
        assert new["data"]["original"] == old["number"]
        assert old["history"][-1]["transition"] == "reject" and old["history"][-1]["comment"]
    # A corrective action was not effective the first time, then verified.
    capa = db.records.find_one({"type": "capa_report", "state": "verified", "data.round": 2})
    assert capa and [h["transition"] for h in capa["history"]] == [
        "complete",
        "not_effective",
        "complete",
        "verify",
    ]
    # Questionnaires are filed with all 14 items rated, and scored.
    for questionnaire in db.records.find({"type": "satisfaction_questionnaire", "state": "filed"}):
        assert all(questionnaire["data"][name] for name in ITEM_FIELDS)
        assert float(questionnaire["data"]["score"]) >= 0

    # The controller's overdue list has items of several forms; reminders went
    # out and some were answered with a new date.
    controller = actor_for(User.objects.get(username="wangfang"))
    items = overdue(controller)
    assert {i.record["type"] for i in items} >= {
        "complaint_sheet",
        "capa_report",
        "inquiry_sheet",
        "customer_service_sheet",
        "service_survey",
    }
    assert any(i.reminder for i in items) and any(i.promised for i in items)
    assert summary["escalated"] >= 1  # stalled complaints raised by time
    # Staff of the heating company have work waiting for them.
    assert my_tasks(actor_for(User.objects.get(username="zhaolei")))

    # The history is spread over the months, never in the future; replies
    # never precede receipt; the audit trail is intact; the real clock is back.
    now, now_local = utcnow(), local_now()
    months = {d["created_at"].strftime("%Y-%m") for d in db.records.find({}, {"created_at": 1})}
    assert len(months) >= 8
    for doc in db.records.find({}):
        assert doc["created_at"] <= doc["updated_at"] <= now
        data = doc["data"]
        for name in ("received_at", "answered_at"):
            if data.get(name):
                assert datetime.fromisoformat(data[name]) <= now_local
        if data.get("reply_date"):
            assert data["reply_date"] >= data["received_at"][:10]
    assert audit.verify(db).ok
    assert verify_records(db).ok  # every record is its last version
    assert operations.utcnow is clock.utcnow and clock.utcnow() >= now

    # Loading twice is refused, and nothing is written.
    total = db.records.count_documents({})
    with pytest.raises(DemoRefused):
        load_demo(PASSWORD, complaints=SMALL)
    assert db.records.count_documents({}) == total

    # Every demo user, of every role, logs in with the one password.
    assert {role for spec in USERS for role in spec.roles} == {
        "admin",
        "controller",
        "staff",
        "approver",
        "auditor",
    }
    for spec in USERS:
        assert login(app.test_client(), spec.username).status_code == 302, spec.username


@pytest.fixture
def portal_cli(app, app_config, monkeypatch):
    """``portal ...`` against the test database, as a shell user runs it."""
    monkeypatch.setenv("PORTAL_MONGODB_URI", app_config["MONGODB_URI"])
    monkeypatch.setenv("PORTAL_MONGODB_DB", app_config["MONGODB_DB"])
    monkeypatch.setenv("PORTAL_DATA_DIR", app_config["DATA_DIR"])
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


def test_cli_demo_prints_and_files_the_password_and_loads_only_once(
    app, app_config, portal_cli, monkeypatch
):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    loaded = portal_cli("demo", "--if-empty", "--complaints", str(SMALL))
    assert loaded.exit_code == 0, loaded.output
    password = re.search(r"Their password:\s+(\S+)\s", loaded.output).group(1)
    path = Path(app_config["DATA_DIR"]) / "demo-password"
    assert path.read_text().strip() == password
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in loaded.output
    for username in ("wangfang", "huangjianguo", "gaoming", "admin"):
        assert username in loaded.output
        assert login(app.test_client(), username, password).status_code == 302

    # What `make run` does on every later start: nothing, said in one line
    # in the default language.
    again = portal_cli("demo", "--if-empty")
    assert again.exit_code == 0 and again.output == "数据库中已有用户或记录：不加载演示机构。\n"
    assert path.read_text().strip() == password
    refused = portal_cli("demo")
    assert refused.exit_code != 0 and "already has" in refused.output
    assert path.read_text().strip() == password


def test_cli_demo_if_empty_leaves_a_portal_with_users_alone(
    app, app_config, portal_cli, make_user, monkeypatch
):
    make_user("admin", roles=["admin"])
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    result = portal_cli("demo", "--if-empty")
    assert result.exit_code == 0 and result.output == "資料庫中已有使用者或記錄：不載入示範機構。\n"
    assert database().records.count_documents({}) == 0
    assert not (Path(app_config["DATA_DIR"]) / "demo-password").exists()
    assert User.objects.count() == 1
