"""The audit chain, retention, holds, disposal, attachments, locks and type settings."""

from __future__ import annotations

import re
from datetime import timedelta

import gridfs
import pytest

from records import audit
from records.attachments import attach_file, read_attachment
from records.errors import InvalidData, Locked, PermissionDenied, RetentionError, StaleVersion
from records.integrity import verify_records
from records.models import AuditEntry, DisposalCertificate, Record, RecordVersion
from records.operations import acquire_lock, create_record, revise_record, transition_record
from records.retention import (
    dispose_record,
    disposition_list,
    place_hold,
    release_hold,
)
from records.settings import update_type_settings
from records.store import database
from tests.records.conftest import HANDOVER, REVISIT, actor

PDF = b"%PDF-1.4\n% a scanned, signed form\n%%EOF\n"


def test_audit_chain_verifies_and_detects_a_changed_entry(staff, controller):
    record = create_record(staff, "handover_log", HANDOVER)
    revise_record(staff, record.number, {"events": "改"}, base_version=1)
    audit.record_event("wang", "login", details={"ip": "127.0.0.1"})
    result = audit.verify(database())
    assert result.ok and result.entries == 3
    database().audit.update_one({"seq": 2}, {"$set": {"actor": "mallory"}})
    broken = audit.verify(database())
    assert not broken.ok and broken.broken_at == 2


def test_audit_chain_detects_a_removed_entry(staff):
    create_record(staff, "handover_log", HANDOVER)
    create_record(staff, "handover_log", HANDOVER)
    create_record(staff, "handover_log", HANDOVER)
    database().audit.delete_one({"seq": 2})
    assert audit.verify(database()).broken_at == 2
    database().audit.delete_one({"seq": 3})
    assert not audit.verify(database()).ok  # the tail is gone too


def _closed_record(staff, years_ago: int, record=None):
    record = record or create_record(staff, "handover_log", {**HANDOVER, "taken_over_by": "李雷"})
    transition_record(staff, record.number, "hand_over")
    done = transition_record(staff, record.number, "accept", password="sign here 123")
    past = done.retention_starts_at - timedelta(days=366 * years_ago)
    database().records.update_one(
        {"number": record.number},
        {
            "$set": {
                "retention_starts_at": past,
                "retention_ends_on": past.replace(year=past.year + 3),
            }
        },
    )
    return Record.objects.get(number=record.number)


def test_disposal_is_refused_before_retention_ends_on_every_ground(staff, approver):
    fresh = _closed_record(staff, 0)
    with pytest.raises(RetentionError, match="must be kept until"):
        dispose_record(approver, fresh.number, "过期")
    still_open = create_record(staff, "handover_log", HANDOVER)
    with pytest.raises(RetentionError, match="has not started"):
        dispose_record(approver, still_open.number, "过期")
    old = _closed_record(staff, 4)
    with pytest.raises(PermissionDenied):
        dispose_record(staff, old.number, "过期")
    assert Record.objects.count() == 3
    assert AuditEntry.objects(action="delete_refused").count() == 3


def test_holds_block_disposal_until_all_are_released(staff, approver, controller):
    old = _closed_record(staff, 4)
    first = place_hold(controller, old.number, "诉讼保全")
    second = place_hold(approver, old.number, "内部审核")
    assert [r.number for r in disposition_list()] == []
    release_hold(controller, old.number, first["id"], "诉讼结束")
    with pytest.raises(RetentionError, match="hold"):
        dispose_record(approver, old.number, "过期")
    release_hold(approver, old.number, second["id"], "审核结束")
    assert [r.number for r in disposition_list()] == [old.number]


def test_disposal_by_an_approver_leaves_a_certificate(staff, approver):
    record = create_record(staff, "handover_log", {**HANDOVER, "taken_over_by": "李雷"})
    attach_file(staff, record.number, "scan.pdf", PDF, base_version=1)
    old = _closed_record(staff, 4, record)
    certificate = dispose_record(approver, old.number, "保存期满")
    assert certificate.number == old.number and certificate.approved_by == "director"
    assert certificate.versions == old.version
    assert Record.objects(number=old.number).count() == 0
    assert RecordVersion.objects(number=old.number).count() == 0
    assert DisposalCertificate.objects.get(number=old.number).title == "夜班交接"
    assert certificate.attachments[0]["filename"] == "scan.pdf"
    bucket = gridfs.GridFSBucket(database(), bucket_name="attachments")
    assert bucket.find().to_list() == []  # the scans went with the record
    assert AuditEntry.objects(action="dispose", number=old.number).count() == 1
    assert audit.verify(database()).ok
    assert verify_records(database()).ok  # gone, but with its certificate


def test_attachments_are_checked_hashed_versioned_and_downloaded(staff):
    record = create_record(staff, "handover_log", HANDOVER)
    with pytest.raises(InvalidData, match="PDF, PNG"):
        attach_file(staff, record.number, "scan.pdf", b"MZ\x90 not a pdf", base_version=1)
    with pytest.raises(InvalidData, match="larger"):
        attach_file(
            staff, record.number, "scan.pdf", PDF + b"x" * 2048, base_version=1, max_bytes=1024
        )
    updated = attach_file(staff, record.number, "签字扫描件.pdf", PDF, base_version=1)
    item = updated.attachments[0]
    assert updated.version == 2 and item["size"] == len(PDF) and len(item["sha256"]) == 64
    assert RecordVersion.objects.get(number=record.number, version=1).attachments == []
    described, content = read_attachment(staff, record.number, item["id"])
    assert content == PDF and described["filename"] == "签字扫描件.pdf"
    assert AuditEntry.objects(action="download", number=record.number).count() == 1
    assert gridfs.GridFSBucket(database(), bucket_name="attachments").find().to_list()


def test_a_scan_attached_over_a_newer_version_is_refused_and_not_kept(staff):
    record = create_record(staff, "handover_log", HANDOVER)
    revise_record(staff, record.number, {"title": "交接（改）"}, base_version=1)
    with pytest.raises(StaleVersion) as refused:
        attach_file(staff, record.number, "scan.pdf", PDF, base_version=1)
    assert refused.value.current == 2
    assert Record.objects.get(number=record.number).attachments == []
    assert RecordVersion.objects(number=record.number).count() == 2
    assert not AuditEntry.objects(action="attach", number=record.number)
    # The file stored before the transaction is taken away again.
    assert not gridfs.GridFSBucket(database(), bucket_name="attachments").find().to_list()


def test_edit_locks_show_the_holder_expire_and_takeover_is_recorded(staff):
    record = create_record(staff, "handover_log", HANDOVER)
    colleague = actor("li", "staff")
    acquire_lock(staff, record.number)
    with pytest.raises(Locked, match="Wang"):
        acquire_lock(colleague, record.number)
    with pytest.raises(Locked):
        revise_record(colleague, record.number, {"events": "x"}, base_version=1)
    acquire_lock(colleague, record.number, takeover=True)
    entry = AuditEntry.objects.get(action="lock_takeover")
    assert entry.actor == "li" and entry.details["from"] == "wang"
    revise_record(colleague, record.number, {"events": "接手后修改"}, base_version=1)


def _handover_settings(actor, pattern, **settings):
    """The handover log's numbering ``pattern`` and other settings as ``actor`` saves them."""
    return update_type_settings(actor, "handover_log", numbering_pattern=pattern, **settings)


def test_type_settings_change_numbering_and_edition_and_are_audited(staff, controller):
    with pytest.raises(PermissionDenied):
        _handover_settings(
            staff, "{code}/{year}/{seq:05}", edition="B/0", retention_years=5, reason="新版"
        )
    with pytest.raises(InvalidData):
        _handover_settings(controller, "{code}-{seq}", edition="B/0", retention_years=5, reason="x")
    settings = _handover_settings(
        controller, "HL-{year}-{seq:05}", edition="B/0", retention_years=5, reason="换版"
    )
    assert settings.revision == 1
    record = create_record(staff, "handover_log", HANDOVER)
    assert record.number.startswith("HL-") and record.number.endswith("-00001")
    assert record.edition == "B/0"
    entry = AuditEntry.objects.get(action="type_settings")
    assert {c["field"] for c in entry.details["changes"]} == {
        "edition",
        "numbering_pattern",
        "retention_years",
    }


def test_the_organisation_sets_its_own_form_code(staff, controller):
    own = {"edition": "A/1", "retention_years": 3, "reason": "本单位编号"}
    with pytest.raises(InvalidData):
        _handover_settings(controller, "{code}-{year}-{seq:04}", form_code="GAEPC QR 21!", **own)
    _handover_settings(controller, "{code}-{year}-{seq:04}", form_code="XYZ/QR-121", **own)
    record = create_record(staff, "handover_log", HANDOVER)
    assert record.form_code == "XYZ/QR-121" and record.edition == "A/1"
    assert re.fullmatch(r"QR-121-\d{4}-0001", record.number)
    entry = AuditEntry.objects.get(action="type_settings")
    assert {"field": "form_code", "old": "GAEPC/QR-021", "new": "XYZ/QR-121"} in (
        entry.details["changes"]
    )


def test_a_numbering_pattern_that_gives_another_forms_numbers_is_refused(controller):
    # The revisit record numbers QR-018-2026-0001, QR-018-2026-0002, ...
    for pattern, form_code in (
        ("QR-018-{year}-{seq:04}", None),
        ("QR-018-{year}-{seq}", None),  # equal from 1000 on
        ("{code}-{year}-{seq:04}", "XYZ/QR-018"),
    ):
        with pytest.raises(InvalidData, match="GAEPC/QR-018") as refused:
            _handover_settings(
                controller,
                pattern,
                edition="A/0",
                retention_years=3,
                reason="改编号",
                form_code=form_code,
            )
        assert refused.value.field == "numbering_pattern"
    assert database().type_settings.count_documents({}) == 0
    _handover_settings(
        controller, "QR-018-{year}-JJ{seq:04}", edition="A/0", retention_years=3, reason="改编号"
    )


def test_creating_a_record_whose_number_is_taken_is_refused_and_writes_nothing(staff, controller):
    from records.errors import NumberTaken

    revisit = create_record(controller, "revisit_record", REVISIT)
    # Settings saved before patterns were checked: the handover log numbers
    # like the revisit record.
    database().type_settings.insert_one(
        {"_id": "handover_log", "numbering_pattern": "QR-018-{year}-{seq:04}"}
    )
    entries = database().audit.count_documents({})
    with pytest.raises(NumberTaken, match=revisit.number):
        create_record(staff, "handover_log", HANDOVER)
    assert database().audit.count_documents({}) == entries
    assert Record.objects(type="handover_log").count() == 0
    assert database().counters.find_one({"_id": {"$regex": "^handover_log:"}}) is None
