"""``portal serve`` (what ``make run`` starts), as a new user meets it."""

from __future__ import annotations

import functools
import http.cookiejar
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pymongo
import pytest

from portal.database.embedded import free_port
from tests.helpers import child_env

# Slow: each test starts `portal serve` as a child process.
pytestmark = pytest.mark.slow

PORTAL = str(Path(sys.executable).with_name("portal"))


class RunningPortal:
    def __init__(
        self,
        data_dir: Path,
        port: int,
        *args: str,
        command: str = "serve",
        lang: str = "C.UTF-8",
        **settings: str,
    ):
        env = {k: v for k, v in child_env().items() if k not in ("LC_ALL", "LC_MESSAGES")}
        env.update(PORTAL_DATA_DIR=str(data_dir), PORTAL_PORT=str(port), PYTHONUNBUFFERED="1")
        env["LANG"] = lang
        env.update({f"PORTAL_{name}": value for name, value in settings.items()})
        self.base = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [PORTAL, command, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_serving(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # TimeoutError: the port is bound (serve --workers binds it
                # first) while the web processes are still starting.
                pass
            time.sleep(0.2)
        raise AssertionError(f"portal did not start:\n{self.output}")

    def stop(self, timeout=60) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout)
        self._reader.join(5)
        self.process.stdout.close()
        return code


def run_cli(data_dir: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """``portal ARGS`` on the data folder ``data_dir``, as an operator runs it."""
    env = child_env()
    env["PORTAL_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [PORTAL, *args], env=env, input=input, capture_output=True, text=True, timeout=120
    )


def user_with_token(cli, username: str, full_name: str, role: str, password: str) -> str:
    """Create a user and an API token for them with ``cli`` (the command line
    of one portal, called with its arguments); the token as printed."""
    made = cli(
        "user",
        "create",
        username,
        "--full-name",
        full_name,
        "--role",
        role,
        "--password",
        "-",
        input=f"{password}\n",
    )
    assert made.returncode == 0, made.stdout + made.stderr
    issued = cli("token", "create", username, "--name", "test")
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip().splitlines()[-1].strip()


def check_matches_soon(cli, seconds: float = 60) -> None:
    """``portal check`` run with ``cli`` says, within ``seconds``, that the
    search index matches the database (a restarted portal catches up first)."""
    deadline = time.monotonic() + seconds
    while True:
        checked = cli("check")
        if checked.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "matches the database" in checked.stdout


def _log_in(base: str, username: str, password: str) -> str:
    """Log in like a browser; answer the home page's HTML."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login") as response:
        page = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": token}
    ).encode()
    with opener.open(base + "/login", data=form) as response:
        return response.read().decode()


def test_first_start_prints_a_working_admin_password_and_a_restart_keeps_it(tmp_path):
    data_dir = tmp_path / "var"
    port = free_port()
    portal = RunningPortal(data_dir, port)
    try:
        portal.wait_until_serving()
        match = re.search(r"password\s+(\S+)\s", portal.output)
        assert match, portal.output
        password = match.group(1)
        secret_file = data_dir / "initial-admin-password"
        assert secret_file.read_text().strip() == password
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        assert "Administrator" in _log_in(portal.base, "admin", password)
        db_pid = json.loads((data_dir / "db" / "portal-db.json").read_text())["pid"]
    finally:
        code = portal.stop()
    assert code == 0, portal.output
    with pytest.raises(ProcessLookupError):
        os.kill(db_pid, 0)  # the database stopped with the portal

    # What `make run` starts: the database is not empty, so no demo, said
    # in one line in the language of LANG.
    again = RunningPortal(data_dir, port, "--demo-if-empty", lang="en_GB.UTF-8")
    try:
        again.wait_until_serving()
        assert "First start" not in again.output
        assert "the demo organisation is not loaded." in again.output
        assert "Administrator" in _log_in(again.base, "admin", password)
    finally:
        assert again.stop() == 0, again.output


def _get(url: str, timeout: float = 5, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Accept": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _runfile(data_dir: Path) -> dict:
    return json.loads((data_dir / "db" / "portal-db.json").read_text())


def test_a_second_serve_on_the_same_folder_is_refused_and_the_first_keeps_serving(tmp_path):
    data_dir = tmp_path / "var"
    first = RunningPortal(data_dir, free_port())
    try:
        first.wait_until_serving()
        second = RunningPortal(data_dir, free_port())
        code = second.process.wait(60)
        second._reader.join(5)
        second.process.stdout.close()
        assert code != 0
        [line] = [line for line in second.lines if line.strip()]
        assert line.startswith("Error: ") and "in use by portal serve" in line, second.output
        assert f"pid {first.process.pid}" in line
        assert _get(first.base + "/healthz")[0] == 200
    finally:
        assert first.stop() == 0, first.output


def test_with_a_mongodb_uri_too_one_serve_per_data_folder(tmp_path, database):
    # Its search index has one writer: a second portal would fight over it.
    data_dir = tmp_path / "var"
    settings = {"MONGODB_URI": database.uri, "MONGODB_DB": "portal_test_serve_lock"}
    first = RunningPortal(data_dir, free_port(), **settings)
    try:
        first.wait_until_serving()
        second = RunningPortal(data_dir, free_port(), **settings)
        assert second.process.wait(60) == 1
        second._reader.join(5)
        second.process.stdout.close()
        assert (
            f"Error: Another portal (pid {first.process.pid}) already serves the data "
            f"folder {data_dir}"
        ) in second.output
        assert _get(first.base + "/healthz")[0] == 200
    finally:
        assert first.stop() == 0, first.output


def test_a_killed_database_answers_503_at_once_and_is_back_within_30_s(tmp_path):
    data_dir = tmp_path / "var"
    portal = RunningPortal(data_dir, free_port())
    try:
        portal.wait_until_serving()
        first = _runfile(data_dir)["pid"]
        os.kill(first, signal.SIGKILL)
        killed = time.monotonic()
        while _alive(first):  # gone, or a zombie that holds no socket any more
            time.sleep(0.01)
        answers = []
        while True:
            started = time.monotonic()
            # An API call that reads the database: a token is looked up.
            api_status, api_body = _get(
                portal.base + "/api/v1/me", headers={"Authorization": "Bearer prt_unknown"}
            )
            answers.append((api_status, time.monotonic() - started))
            assert api_status in (401, 503), api_body
            if api_status == 503:
                assert api_body["error"] == "database_unavailable"
            started = time.monotonic()
            status, body = _get(portal.base + "/healthz")
            answers.append((status, time.monotonic() - started))
            if status == 200:
                break
            assert status == 503, body
            assert body["database"]["ok"] is False or body["status"] != "ok"
            assert time.monotonic() - killed < 30, "the database did not come back"
            time.sleep(0.1)
        # A restart quicker than the ping's wait is answered 200 at once; the
        # 503 itself, in the user's language, is test_health's.
        assert max(seconds for _status, seconds in answers) < 2, answers
        assert body["database"]["restarts"] == 1
        assert _runfile(data_dir)["pid"] != first
        assert "stopped unexpectedly" in portal.output
    finally:
        assert portal.stop() == 0, portal.output


@pytest.mark.slow
def test_kill_9_of_the_portal_never_leaves_a_start_impossible(tmp_path):
    data_dir = tmp_path / "var"
    port = free_port()
    servers = []
    # Killed while it starts (its database may be half started) at five
    # moments of the start, each after a portal killed while it served.
    for killed_at in (None, 0.3, None, 0.7, None, 1.1, None, 1.5, 1.9):
        portal = RunningPortal(data_dir, port)
        try:
            if killed_at is not None:
                time.sleep(killed_at)
            else:
                portal.wait_until_serving()
                servers.append(_runfile(data_dir)["pid"])
        finally:
            portal.process.kill()
            portal.process.wait()
            portal._reader.join(5)
            portal.process.stdout.close()
        assert "already taken" not in portal.output, portal.output
    last = RunningPortal(data_dir, port)
    try:
        last.wait_until_serving()
    finally:
        assert last.stop() == 0, last.output
    for pid in servers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_database_that_keeps_dying_stops_the_portal_with_exit_code_1(tmp_path):
    data_dir = tmp_path / "var"
    portal = RunningPortal(data_dir, free_port())
    try:
        portal.wait_until_serving()
        killed = set()
        deadline = time.monotonic() + 120
        while portal.process.poll() is None:
            assert time.monotonic() < deadline, portal.output
            try:
                pid = _runfile(data_dir)["pid"]
            except (OSError, ValueError):
                pid = None
            if pid and pid not in killed and _alive(pid):
                status, _body = _get(portal.base + "/healthz")
                if status == 200:  # restarted and serving again: kill it once more
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
            time.sleep(0.1)
        assert portal.process.wait() == 1
        portal._reader.join(5)
        portal.process.stdout.close()
        assert len(killed) == 6, portal.output
        assert "Error: The embedded database stopped 6 times within 5 minutes" in portal.output
        assert not _alive(_runfile_pid_or_zero(data_dir))
    finally:
        if portal.process.poll() is None:
            portal.stop()


def _runfile_pid_or_zero(data_dir: Path) -> int:
    try:
        return _runfile(data_dir)["pid"]
    except (OSError, ValueError):
        return 0


def test_serve_without_workers_and_a_worker_beside_it_share_the_work(tmp_path):
    """The factory starts no background work: `portal serve --no-workers`
    only serves, and `portal worker` on the same data folder indexes what
    it saves."""
    data = tmp_path / "data"
    web = RunningPortal(data, free_port(), "--no-workers", DEMO="0")
    worker = None
    try:
        web.wait_until_serving()
        with urllib.request.urlopen(web.base + "/healthz", timeout=5) as response:
            workers = json.load(response)["workers"]
        assert workers["search_indexer"] == "not started", workers
        clear = user_with_token(
            functools.partial(run_cli, data), "li", "李明", "controller", "a long password 1"
        )
        auth = {"Authorization": f"Bearer {clear}", "Content-Type": "application/json"}
        body = json.dumps(
            {
                "data": {
                    "title": "夜班",
                    "shift_date": "2026-11-30",
                    "shift": "night",
                    "handed_over_by": "李明",
                    "events": "锅炉房巡检正常",
                }
            }
        ).encode()
        request = urllib.request.Request(
            web.base + "/api/v1/records/handover_log", data=body, headers=auth, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            number = json.load(response)["number"]
        worker = RunningPortal(data, free_port(), command="worker")
        search = urllib.request.Request(
            web.base + "/api/v1/search?q=" + urllib.parse.quote("锅炉房"), headers=auth
        )
        deadline = time.monotonic() + 60
        found = []
        while not found and time.monotonic() < deadline:
            with urllib.request.urlopen(search, timeout=10) as response:
                found = [hit["number"] for hit in json.load(response)["results"]]
            time.sleep(0.5)
        assert found == [number], worker.output
        assert "Background work: search_indexer_thread" in worker.output
    finally:
        if worker is not None:
            assert worker.stop() == 0, worker.output
        assert web.stop() == 0, web.output


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` that are web processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"web-process" in cmdline and _alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def test_serve_with_workers_runs_several_web_processes_that_die_with_it(tmp_path):
    """`portal serve --workers 2` on the embedded database: two web processes
    answer on one port, the parent runs the background work once, a killed
    web process is replaced, and kill -9 of the parent takes them all down."""
    data_dir = tmp_path / "var"
    portal = RunningPortal(data_dir, free_port(), "--workers", "2", DEMO="0")
    try:
        portal.wait_until_serving()
        deadline = time.monotonic() + 60
        while len(_children(portal.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        children = _children(portal.process.pid)
        assert len(children) == 2, portal.output
        assert "2 web processes" in portal.output
        # Requests are answered by the web processes, which leave the
        # background work to their parent.
        status, body = _get(portal.base + "/healthz")
        assert status == 200 and body["workers"]["deadlines"] == "in the serving parent"
        # Each web process is known to the deployment (records.presence), so
        # that a transaction it dies in is ended by another.
        run = _runfile(data_dir)
        with pymongo.MongoClient(
            f"mongodb://{run['host']}:{run['port']}/?directConnection=true"
        ) as client:
            entries = client["portal"]["processes"]

            def known():
                return {entry["pid"] for entry in entries.find({}, {"pid": 1})}

            deadline = time.monotonic() + 30
            while not set(children) <= known() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert set(children) <= known()
            os.kill(children[0], signal.SIGKILL)
            killed = time.monotonic()
            while children[0] in known() and time.monotonic() - killed < 30:
                time.sleep(0.1)
            # Ended by the parent as soon as it saw the child stop.
            assert children[0] not in known() and time.monotonic() - killed < 5
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _children(portal.process.pid)
            if len(now) == 2 and children[0] not in now:
                break
            time.sleep(0.2)
        replaced = _children(portal.process.pid)
        assert len(replaced) == 2 and children[0] not in replaced, portal.output
        assert _get(portal.base + "/healthz")[0] == 200
        db_pid = _runfile(data_dir)["pid"]
    finally:
        portal.process.kill()
        portal.process.wait()
        portal._reader.join(5)
        portal.process.stdout.close()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in (*replaced, db_pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in replaced), "a web process outlived its portal"
    assert not _alive(db_pid), "the database outlived its portal"
