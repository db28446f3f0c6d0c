"""The audit trail and the records against someone who can write the
database: each rewrite an operator tried (truncation with a rewound head, a
forged entry with a recomputed hash, an edited version, edited current data)
is found by ``verify``."""

from __future__ import annotations

import json

import pytest

from records import audit
from records.integrity import verify_records
from records.operations import create_record, revise_record, version_hash
from records.store import database
from tests.records.conftest import HANDOVER


@pytest.fixture
def checkpoints(tmp_path):
    return tmp_path / "outside-the-database" / "audit-checkpoints.jsonl"


@pytest.fixture
def restore_key():
    kept = audit.current_key()
    yield
    audit.use_key(kept)


def _records(staff, n):
    return [create_record(staff, "handover_log", HANDOVER).number for _ in range(n)]


def _rewind_head_to(seq):
    """What a database writer does to hide a truncation: the head points
    at the last entry kept."""
    db = database()
    db.audit.delete_many({"seq": {"$gt": seq}})
    kept = db.audit.find_one({"seq": seq})
    db.audit_head.update_one({"_id": audit.HEAD_ID}, {"$set": {"seq": seq, "hash": kept["hash"]}})


def test_every_entry_and_version_is_authenticated_with_the_key(staff):
    number = _records(staff, 1)[0]
    entry = database().audit.find_one({"number": number})
    version = database().record_versions.find_one({"number": number})
    assert audit.sealed("entry", entry["hash"], entry["mac"])
    assert audit.sealed("version", version["hash"], version["mac"])
    # Another key does not recognise them.
    assert not audit.sealed("entry", entry["hash"], entry["mac"], b"another key")
    result = audit.verify(database())
    assert result.ok and result.entries == 1 and result.unauthenticated == 0


def test_a_truncation_with_a_rewound_head_is_found_by_the_checkpoint(staff, checkpoints):
    _records(staff, 5)
    point = audit.checkpoint(database(), checkpoints)
    assert point["seq"] == 5
    assert audit.checkpoint(database(), checkpoints) is None  # nothing new since
    _rewind_head_to(3)
    # The chain alone is consistent again: that is why checkpoints are kept.
    assert audit.verify(database()).ok
    result = audit.verify(database(), checkpoints=checkpoints)
    assert not result.ok and result.broken_at == 4
    assert "up to 5" in result.reason


def test_a_truncation_hidden_by_new_entries_is_found_by_the_checkpoint(staff, checkpoints):
    _records(staff, 5)
    audit.checkpoint(database(), checkpoints)
    _rewind_head_to(3)
    _records(staff, 3)  # entries 4, 5, 6 again, but not the ones checkpointed
    assert audit.verify(database()).ok
    result = audit.verify(database(), checkpoints=checkpoints)
    assert not result.ok and result.broken_at == 5
    assert "checkpoint" in result.reason


def test_a_forged_entry_with_a_recomputed_hash_and_head_is_found(staff):
    _records(staff, 2)
    db = database()
    head = db.audit_head.find_one({"_id": audit.HEAD_ID})
    forged = {
        "seq": head["seq"] + 1,
        "at": audit.utcnow(),
        "actor": "director",
        "action": "dispose",
        "record_type": "handover_log",
        "number": "QR-021-2026-0001",
        "version": None,
        "details": {"reason": "保存期满"},
        "prev_hash": head["hash"],
    }
    forged["hash"] = audit.entry_hash(forged)
    db.audit.insert_one(forged)
    db.audit_head.update_one(
        {"_id": audit.HEAD_ID}, {"$set": {"seq": forged["seq"], "hash": forged["hash"]}}
    )
    result = audit.verify(db)
    assert not result.ok and result.broken_at == 3
    assert "audit key" in result.reason
    # Nor does a MAC made with a guessed key pass.
    db.audit.update_one(
        {"seq": 3}, {"$set": {"mac": audit.seal("entry", forged["hash"], b"guess")}}
    )
    assert audit.verify(db).broken_at == 3


def test_removing_the_macs_after_a_checkpoint_is_found(staff, checkpoints):
    _records(staff, 2)
    audit.checkpoint(database(), checkpoints)
    _records(staff, 1)
    db = database()
    # Strip the MAC of every entry and change entry 3 (its hash recomputed).
    db.audit.update_many({}, {"$unset": {"mac": ""}})
    third = db.audit.find_one({"seq": 3})
    third["actor"] = "mallory"
    third.pop("mac", None)
    db.audit.update_one({"seq": 3}, {"$set": {"actor": "mallory", "hash": audit.entry_hash(third)}})
    db.audit_head.update_one({"_id": audit.HEAD_ID}, {"$set": {"hash": audit.entry_hash(third)}})
    result = audit.verify(db, checkpoints=checkpoints)
    assert not result.ok and result.broken_at == 1


def test_an_altered_checkpoint_file_is_not_trusted(staff, checkpoints):
    _records(staff, 3)
    audit.checkpoint(database(), checkpoints)
    point = json.loads(checkpoints.read_text())
    point["seq"] = 2
    checkpoints.write_text(json.dumps(point) + "\n")
    result = audit.verify(database(), checkpoints=checkpoints)
    assert not result.ok and "not trustworthy" in result.reason


def test_an_edited_stored_version_is_found_even_with_its_hash_recomputed(staff):
    number = _records(staff, 1)[0]
    revise_record(staff, number, {"events": "已修好"}, base_version=1)
    assert verify_records(database()).ok
    db = database()
    db.record_versions.update_one(
        {"number": number, "version": 1}, {"$set": {"data.events": "从未漏水"}}
    )
    check = verify_records(db)
    assert not check.ok and check.number == number
    assert "version 1 was changed" in check.reason
    version = db.record_versions.find_one({"number": number, "version": 1})
    db.record_versions.update_one(
        {"_id": version["_id"]}, {"$set": {"hash": version_hash(version)}}
    )
    check = verify_records(db)
    assert not check.ok and "version 1 was not written with the audit key" in check.reason
    db.record_versions.update_one({"_id": version["_id"]}, {"$unset": {"mac": ""}})
    check = verify_records(db)
    assert not check.ok and "version 1 lost its authentication" in check.reason


def test_edited_current_data_or_a_missing_version_is_found(staff):
    first, second = _records(staff, 2)
    revise_record(staff, first, {"events": "已修好"}, base_version=1)
    db = database()
    db.records.update_one({"number": first}, {"$set": {"data.events": "从未漏水"}})
    check = verify_records(db)
    assert not check.ok and check.number == first
    assert "current content differs from its last version" in check.reason
    db.records.update_one({"number": first}, {"$set": {"data.events": "已修好"}})
    assert verify_records(db).ok
    version = db.record_versions.find_one({"number": first, "version": 1})
    db.record_versions.delete_one({"_id": version["_id"]})
    check = verify_records(db)
    assert not check.ok and "[2], not 1 to 2" in check.reason
    db.record_versions.insert_one(version)
    assert verify_records(db).ok
    db.records.delete_one({"number": second})
    check = verify_records(db)
    assert not check.ok and check.number == second and "record itself is gone" in check.reason
    # Removed with its versions: the trail still says it was created.
    db.record_versions.delete_many({"number": second})
    check = verify_records(db)
    assert not check.ok and check.number == second
    assert "gone without a disposal certificate" in check.reason


def test_entries_and_versions_from_before_the_key_still_verify(staff, checkpoints, restore_key):
    key = audit.current_key()
    audit.use_key(None)
    old = _records(staff, 2)
    audit.use_key(key)
    new = _records(staff, 1)
    result = audit.verify(database(), checkpoints=checkpoints)
    assert result.ok and result.entries == 3 and result.unauthenticated == 2
    check = verify_records(database())
    assert check.ok and check.unauthenticated == 2
    # The first checkpoint covers them: their hashes lead to the head.
    audit.checkpoint(database(), checkpoints)
    database().audit.update_one({"seq": 1}, {"$set": {"actor": "mallory"}})
    assert audit.verify(database(), checkpoints=checkpoints).broken_at == 1
    database().audit.update_one({"seq": 1}, {"$set": {"actor": "wang"}})
    # After an authenticated entry, none may come without a MAC.
    audit.use_key(None)
    _records(staff, 1)
    audit.use_key(key)
    result = audit.verify(database(), checkpoints=checkpoints)
    assert not result.ok and result.broken_at == 4
    assert old and new
