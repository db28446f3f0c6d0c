"""The ``portal`` command: users and API tokens from the shell."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pymongo
import pytest
from click.testing import CliRunner

from portal.cli import main
from portal.database.embedded import find_server_executable, free_port
from portal.models import ApiToken, User
from tests.helpers import child_env, login


@pytest.fixture
def portal_cli(app, app_config, monkeypatch):
    """Run ``portal ...`` against the test database, as a shell user would."""
    monkeypatch.setenv("PORTAL_MONGODB_URI", app_config["MONGODB_URI"])
    monkeypatch.setenv("PORTAL_MONGODB_DB", app_config["MONGODB_DB"])
    monkeypatch.setenv("PORTAL_DATA_DIR", app_config["DATA_DIR"])
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def test_user_create_passwd_disable(app, portal_cli):
    created = portal_cli(
        "user",
        "create",
        "Chen",
        "--full-name",
        "陈静",
        "--role",
        "controller",
        "--role",
        "approver",
        "--password",
        "-",
        input="first pass 123\n",
    )
    assert created.exit_code == 0, created.output
    user = User.objects.get(username="chen")
    assert user.full_name == "陈静" and user.roles == ["controller", "approver"]
    assert login(app.test_client(), "chen", "first pass 123").status_code == 302

    changed = portal_cli("user", "passwd", "chen", "--password", "-", input="second pass 456\n")
    assert changed.exit_code == 0, changed.output
    assert login(app.test_client(), "chen", "first pass 123").status_code == 401
    assert login(app.test_client(), "chen", "second pass 456").status_code == 302

    disabled = portal_cli("user", "disable", "chen")
    assert disabled.exit_code == 0
    assert login(app.test_client(), "chen", "second pass 456").status_code == 401


def test_cli_refuses_bad_input_with_a_message_and_changes_nothing(app, portal_cli):
    weak = portal_cli("user", "create", "chen", "--full-name", "陈静", "--password", "short")
    assert weak.exit_code != 0
    assert "10" in weak.output  # the minimum length is named
    assert User.objects(username="chen").first() is None
    unknown = portal_cli("user", "passwd", "nobody", "--password", "whatever 12345")
    assert unknown.exit_code != 0 and "nobody" in unknown.output
    bad_role = portal_cli("user", "create", "chen", "--full-name", "X", "--role", "emperor")
    assert bad_role.exit_code == 2
    assert User.objects.count() == 0


def test_token_create_list_revoke(app, portal_cli, make_user):
    make_user("robot", roles=["auditor"])
    created = portal_cli("token", "create", "robot", "--name", "nightly export")
    assert created.exit_code == 0
    clear = created.stdout.strip().splitlines()[0]
    assert clear.startswith("prt_")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {clear}"}
    assert client.get("/api/v1/me", headers=auth).json["username"] == "robot"
    stored = ApiToken.objects.get(name="nightly export")
    assert clear not in stored.token_hash
    listed = portal_cli("token", "list", "robot")
    assert stored.prefix in listed.output and "active" in listed.output
    revoked = portal_cli("token", "revoke", stored.prefix)
    assert revoked.exit_code == 0
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_audit_verify_passes_then_fails_after_tampering(app, portal_cli, make_user):
    from records.operations import create_record
    from records.store import database
    from tests.records.conftest import HANDOVER, actor

    create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    intact = portal_cli("audit", "verify")
    assert intact.exit_code == 0 and "intact" in intact.output
    database().audit.update_one({"seq": 1}, {"$set": {"details.reason": "edited by hand"}})
    broken = portal_cli("audit", "verify")
    assert broken.exit_code == 1
    assert "entry 1" in broken.output


def test_audit_checkpoints_outside_the_database_reveal_a_truncation(app, portal_cli):
    from pathlib import Path

    from records import audit
    from records.operations import create_record
    from records.store import database
    from tests.records.conftest import HANDOVER, actor

    for _ in range(3):
        create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    written = portal_cli("audit", "checkpoint")
    assert written.exit_code == 0 and "entry 3" in written.output
    assert portal_cli("audit", "checkpoint").output.startswith("Nothing new")
    path = Path(app.config["AUDIT_CHECKPOINTS"])
    assert path.parent == Path(app.config["DATA_DIR"])
    create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    intact = portal_cli("audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert "4 entries, 1 checkpoints; 4 records and 4 versions match" in intact.output
    assert "Checkpoint written at entry 4" in intact.output  # verify leaves one too
    assert len(path.read_text().splitlines()) == 2
    # Entry 4 removed and the head rewound: the chain alone looks whole.
    database().audit.delete_one({"seq": 4})
    third = database().audit.find_one({"seq": 3})
    database().audit_head.update_one(
        {"_id": audit.HEAD_ID}, {"$set": {"seq": 3, "hash": third["hash"]}}
    )
    broken = portal_cli("audit", "verify")
    assert broken.exit_code == 1 and "BROKEN at entry 4" in broken.output
    assert "named in a checkpoint, were removed" in broken.output


def test_audit_verify_finds_a_record_edited_behind_its_versions(app, portal_cli):
    from records.operations import create_record
    from records.store import database
    from tests.records.conftest import HANDOVER, actor

    number = create_record(actor("wang", "staff"), "handover_log", HANDOVER).number
    database().records.update_one({"number": number}, {"$set": {"data.events": "无事"}})
    broken = portal_cli("audit", "verify")
    assert broken.exit_code == 1
    assert f"Record {number} BROKEN: its current content differs" in broken.output


def test_records_delete_from_the_cli_is_refused_before_retention_ends(app, portal_cli, make_user):
    from records.models import Record
    from records.operations import create_record
    from tests.records.conftest import HANDOVER, actor

    make_user("director", roles=["approver"])
    record = create_record(actor("wang", "staff"), "handover_log", HANDOVER)
    refused = portal_cli("records", "delete", record.number, "--as", "director", "--reason", "清理")
    assert refused.exit_code == 1
    assert record.number in refused.output
    assert Record.objects(number=record.number).count() == 1


def test_reindex_and_check_from_the_shell(app, portal_cli):
    from records.operations import create_record
    from tests.records.conftest import HANDOVER, actor

    with app.app_context():
        number = create_record(actor("wang", "staff"), "handover_log", HANDOVER).number
    before = portal_cli("check")
    assert before.exit_code == 1
    assert f"current: 1 missing: {number}" in before.output
    assert "1 saved changes are still waiting" in before.output
    rebuilt = portal_cli("reindex")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Indexed 1 records" in rebuilt.output
    # The rebuilt index starts after the last saved change: nothing waits.
    after = portal_cli("check")
    assert after.exit_code == 0, after.output
    assert "The search index matches the database." in after.output


# --- start-up failures: one line, what to do, exit non-zero ---------------------

PORTAL = str(Path(sys.executable).with_name("portal"))


def _portal(tmp_path, *args, uri: str) -> subprocess.CompletedProcess:
    env = child_env()
    env.update(
        PORTAL_DATA_DIR=str(tmp_path / "var"),
        PORTAL_MONGODB_URI=uri,
        PORTAL_MONGODB_TIMEOUT_MS="500",
        PORTAL_PORT=str(free_port()),
    )
    return subprocess.run(
        [PORTAL, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("command", [["serve"], ["check"], ["user", "disable", "li"]])
def test_an_unreachable_database_is_one_line_saying_what_to_do(tmp_path, command):
    uri = f"mongodb://127.0.0.1:{free_port()}/?replicaSet=rs0"
    line = _one_error_line(_portal(tmp_path, *command, uri=uri))
    assert "Cannot reach the database at mongodb://127.0.0.1" in line
    assert "PORTAL_MONGODB_URI" in line


def test_a_malformed_uri_is_one_line(tmp_path):
    line = _one_error_line(_portal(tmp_path, "check", uri="mongodb://[oops"))
    assert "not a usable MongoDB URI" in line


class _Server:
    """A SecantusDB server of its own, started with the given options."""

    def __init__(self, storage: Path, *options: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                find_server_executable(),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--storage-path",
                str(storage),
                "--log-level",
                "WARNING",
                *options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with pymongo.MongoClient(self.uri(), serverSelectionTimeoutMS=200) as client:
                    client.admin.command("hello")
                return
            except pymongo.errors.PyMongoError:
                assert time.monotonic() < deadline

    def uri(self, login: str = "") -> str:
        return f"mongodb://{login}127.0.0.1:{self.port}/?directConnection=true"

    def stop(self):
        self.process.terminate()
        self.process.wait(30)


def test_a_server_without_a_replica_set_is_one_line_naming_the_fix(tmp_path):
    server = _Server(tmp_path / "standalone", "--standalone")
    try:
        line = _one_error_line(_portal(tmp_path, "check", uri=server.uri()))
    finally:
        server.stop()
    assert "not part of a replica set" in line and "--replSet" in line


def test_wrong_credentials_are_one_line_without_the_password(tmp_path):
    storage = tmp_path / "with-auth"
    server = _Server(storage)
    with pymongo.MongoClient(server.uri()) as client:
        client.admin.command("createUser", "portal", pwd="the right one", roles=["root"])
    server.stop()
    server = _Server(storage, "--auth")
    try:
        line = _one_error_line(_portal(tmp_path, "check", uri=server.uri("portal:not%20it@")))
        fine = _portal(tmp_path, "check", uri=server.uri("portal:the%20right%20one@"))
    finally:
        server.stop()
    assert "refused the log-in" in line and "authSource" in line
    assert "not it" not in line and "not%20it" not in line
    assert fine.returncode == 0, fine.stdout + fine.stderr
