"""``portal backup`` and ``portal restore``: the demo organisation into one
archive, back into an empty database with every record, version, attachment
byte, signature and audit entry equal; a damaged archive refused whole."""

from __future__ import annotations

import gzip
import io
import tarfile

import pymongo
import pytest
from click.testing import CliRunner

from portal.cli import main
from portal.database.backup import SEEDED
from portal.demo import load_demo
from records.attachments import attach_file
from records.operations import create_record
from records.store import database
from tests.helpers import PASSWORD, actor_of
from tests.records.conftest import HANDOVER, actor

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40

RESTORED = "portal_restore_test"


@pytest.fixture
def portal_cli(app, app_config, monkeypatch):
    def run(*args, db=None):
        monkeypatch.setenv("PORTAL_MONGODB_URI", app_config["MONGODB_URI"])
        monkeypatch.setenv("PORTAL_MONGODB_DB", db or app_config["MONGODB_DB"])
        monkeypatch.setenv("PORTAL_DATA_DIR", app_config["DATA_DIR"])
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def restored(app_config):
    client = pymongo.MongoClient(app_config["MONGODB_URI"])
    client.drop_database(RESTORED)
    yield client[RESTORED]
    client.drop_database(RESTORED)
    client.close()


def _written(db) -> list[str]:
    """Collections holding documents, beyond the calendar every start seeds."""
    return [
        n
        for n in db.list_collection_names()
        if n not in SEEDED and db[n].estimated_document_count()
    ]


def _everything(db) -> dict:
    return {
        name: sorted(db[name].find(), key=lambda d: str(d["_id"]))
        for name in db.list_collection_names()
        if not name.startswith("system.")
    }


@pytest.mark.slow
def test_the_demo_comes_back_whole_from_its_archive(app, tmp_path, portal_cli, restored):
    load_demo(PASSWORD, complaints=12)
    log = create_record(actor_of("zhaolei"), "handover_log", HANDOVER)
    attach_file(actor_of("zhaolei"), log.number, "scan.png", PNG, base_version=1)
    archive = tmp_path / "demo.tar.gz"
    made = portal_cli("backup", str(archive))
    assert made.exit_code == 0, made.output
    assert "documents" in made.output
    original = _everything(database())
    assert original["attachments.chunks"] and original["record_versions"]
    done = portal_cli("restore", str(archive), db=RESTORED)
    assert done.exit_code == 0, done.output
    back = _everything(restored)
    for name, docs in original.items():
        if docs:
            assert back.get(name) == docs, name
    verified = portal_cli("audit", "verify", db=RESTORED)
    assert verified.exit_code == 0, verified.output
    again = portal_cli("restore", str(archive), db=RESTORED)
    assert again.exit_code == 1 and "not empty" in again.output


def test_a_damaged_or_foreign_archive_is_refused_and_nothing_is_written(
    app, tmp_path, portal_cli, restored, make_user
):
    make_user("wang")
    archive = tmp_path / "small.tar.gz"
    assert portal_cli("backup", str(archive)).exit_code == 0
    assert portal_cli("backup", str(archive)).exit_code == 1  # never overwritten

    # One collection's bytes altered inside an otherwise valid archive.
    with tarfile.open(archive, "r:gz") as source:
        members = [(m, source.extractfile(m).read()) for m in source.getmembers()]
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as target:
        for member, content in members:
            if member.name == "collections/users.bson":
                content = content.replace(b"wang", b"evil")
            member.size = len(content)
            target.addfile(member, io.BytesIO(content))
    refused = portal_cli("restore", str(damaged), db=RESTORED)
    assert refused.exit_code == 1 and "checksum" in refused.output
    assert not _written(restored)

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    refused = portal_cli("restore", str(truncated), db=RESTORED)
    assert refused.exit_code == 1 and "cannot be read" in refused.output

    foreign = tmp_path / "foreign.tar.gz"
    foreign.write_bytes(gzip.compress(b"not a tar"))
    assert portal_cli("restore", str(foreign), db=RESTORED).exit_code == 1
    assert not _written(restored)


def test_the_scheduled_backup_runs_once_a_day_on_one_node_and_keeps_the_newest(app, tmp_path):
    from datetime import datetime, timedelta

    from portal.workers.backups import backup_if_due
    from records.clock import from_local
    from records.leases import Lease

    folder = tmp_path / "backups"
    app.config.update(BACKUP_DIR=str(folder), BACKUP_AT="02:30", BACKUP_KEEP=2)
    with app.app_context():
        create_record(actor("wang", "staff"), "handover_log", HANDOVER)
        db = database()
        node_a = Lease(db, "backup", 3600, holder="a:1")
        node_b = Lease(db, "backup", 3600, holder="b:2")
        assert node_a.acquire() and not node_b.acquire()
        first_day = from_local(datetime(2026, 11, 2, 2, 31))
        written = backup_if_due(app, node_a, first_day)
        assert written is not None and written.collections["records"] == 1
        # Later that day nothing more is due, on this node or on one that took over.
        assert backup_if_due(app, node_a, first_day + timedelta(hours=20)) is None
        node_a.release()
        assert node_b.acquire()
        assert backup_if_due(app, node_b, first_day + timedelta(hours=23)) is None
        # Before 02:30 the next day still counts as the first day's.
        assert backup_if_due(app, node_b, first_day + timedelta(hours=23, minutes=58)) is None
        for day in (1, 2):
            assert backup_if_due(app, node_b, first_day + timedelta(days=day)) is not None
    archives = sorted(path.name for path in folder.iterdir())
    # Three written, the oldest removed: the second and third days' remain.
    assert archives == ["portal-20261102T183100Z.tar.gz", "portal-20261103T183100Z.tar.gz"]
    with tarfile.open(folder / archives[-1]) as archive:
        assert "manifest.json" in archive.getnames()
