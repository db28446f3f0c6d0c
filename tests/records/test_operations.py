"""Creating, revising, reverting and transitioning records through the operations."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from records import history
from records.errors import InvalidData, NotFound, PermissionDenied, StaleVersion
from records.models import AuditEntry, OutboxEntry, Record, RecordVersion
from records.operations import (
    create_record,
    revert_record,
    revise_record,
    transition_record,
)
from tests.records.conftest import HANDOVER, PROCEDURE, actor


def test_create_assigns_the_number_and_writes_version_audit_and_outbox(staff):
    record = create_record(staff, "handover_log", HANDOVER)
    year = record.created_at.year
    assert record.number == f"QR-021-{year}-0001"
    assert record.version == 1 and record.state == "open" and record.department == "CS"
    assert record.edition == "A/0" and record.form_code == "GAEPC/QR-021"
    version = RecordVersion.objects.get(number=record.number, version=1)
    assert version.data["events"] == HANDOVER["events"] and version.changed_by == "wang"
    entry = AuditEntry.objects.get(number=record.number, action="create")
    assert entry.actor == "wang"
    assert OutboxEntry.objects(number=record.number, version=1, op="upsert").count() == 1
    second = create_record(staff, "handover_log", HANDOVER)
    assert second.number == f"QR-021-{year}-0002"


def test_bad_input_is_refused_and_nothing_is_written(staff):
    with pytest.raises(InvalidData) as missing:
        create_record(staff, "handover_log", {**HANDOVER, "events": "  "})
    assert missing.value.field == "events"
    with pytest.raises(InvalidData) as bad_date:
        create_record(staff, "handover_log", {**HANDOVER, "shift_date": "2026-13-45"})
    assert bad_date.value.field == "shift_date"
    with pytest.raises(InvalidData):
        create_record(staff, "handover_log", {**HANDOVER, "shift": "afternoon tea"})
    with pytest.raises(InvalidData):
        create_record(staff, "handover_log", {**HANDOVER, "nonsense": "x"})
    with pytest.raises(PermissionDenied):
        create_record(staff, "procedure_document", PROCEDURE)
    assert Record.objects.count() == 0 and RecordVersion.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    # The failed attempts used no number: the next record is still 0001.
    assert create_record(staff, "handover_log", HANDOVER).number.endswith("-0001")


def test_fifty_concurrent_creations_get_fifty_consecutive_numbers(staff):
    with ThreadPoolExecutor(max_workers=25) as pool:
        records = list(
            pool.map(lambda _: create_record(staff, "handover_log", HANDOVER), range(50))
        )
    seqs = sorted(int(re.search(r"(\d{4})$", r.number).group(1)) for r in records)
    assert seqs == list(range(1, 51))
    assert Record.objects.count() == 50
    assert AuditEntry.objects(action="create").count() == 50


def test_revise_writes_a_new_version_with_what_changed_and_why(staff):
    record = create_record(staff, "handover_log", HANDOVER)
    revised = revise_record(
        staff,
        record.number,
        {"open_items": "等待维修队回访"},
        base_version=1,
        reason="补充遗留事项",
    )
    assert revised.version == 2
    v2 = RecordVersion.objects.get(number=record.number, version=2)
    assert v2.changes == [{"field": "open_items", "old": None, "new": "等待维修队回访"}]
    assert v2.reason == "补充遗留事项"
    v1 = RecordVersion.objects.get(number=record.number, version=1)
    assert v1.data.get("open_items") is None  # the old version is untouched
    audit = AuditEntry.objects.get(number=record.number, action="change")
    assert audit.details["changes"][0]["new"] == "等待维修队回访"


def test_saving_over_a_newer_version_is_refused_showing_what_changed(staff, controller):
    record = create_record(staff, "handover_log", HANDOVER)
    revise_record(controller, record.number, {"events": "管道已修复"}, base_version=1)
    with pytest.raises(StaleVersion) as stale:
        revise_record(staff, record.number, {"open_items": "mine"}, base_version=1)
    assert stale.value.current == 2
    assert stale.value.changes == [
        {"field": "events", "old": HANDOVER["events"], "new": "管道已修复"}
    ]
    assert "Chen" in str(stale.value)
    assert Record.objects.get(number=record.number).data.get("open_items") is None


def test_history_diff_as_of_and_revert(staff):
    record = create_record(staff, "handover_log", HANDOVER)
    revise_record(staff, record.number, {"events": "第二稿"}, base_version=1)
    revise_record(staff, record.number, {"events": "第三稿"}, base_version=2)
    assert [v.version for v in history.versions(staff, record.number)] == [3, 2, 1]
    assert history.diff(staff, record.number, 1, 3) == [
        {"field": "events", "old": HANDOVER["events"], "new": "第三稿"}
    ]
    v2 = RecordVersion.objects.get(number=record.number, version=2)
    assert history.as_of(staff, record.number, v2.changed_at).version == 2
    reverted = revert_record(staff, record.number, 1, base_version=3, reason="恢复原文")
    assert reverted.version == 4 and reverted.data["events"] == HANDOVER["events"]
    assert RecordVersion.objects.get(number=record.number, version=4).operation == "revert"


def test_workflow_roles_required_fields_and_history(staff, controller):
    record = create_record(staff, "handover_log", HANDOVER)
    with pytest.raises(InvalidData) as missing:
        transition_record(staff, record.number, "hand_over")
    assert missing.value.field == "taken_over_by"
    revise_record(staff, record.number, {"taken_over_by": "李雷"}, base_version=1)
    with pytest.raises(PermissionDenied):
        transition_record(staff, record.number, "void", comment="录错了")
    done = transition_record(staff, record.number, "hand_over", comment="交班")
    assert done.state == "handed_over"
    assert done.history[-1]["by"] == "wang" and done.history[-1]["comment"] == "交班"
    with pytest.raises(PermissionDenied):  # no longer editable
        revise_record(staff, record.number, {"events": "late"}, base_version=done.version)


def test_signature_needs_the_password_and_records_name_meaning_and_hash(staff):
    record = create_record(staff, "handover_log", {**HANDOVER, "taken_over_by": "李雷"})
    record = transition_record(staff, record.number, "hand_over")
    receiver = actor("li", "staff")
    with pytest.raises(PermissionDenied):
        transition_record(receiver, record.number, "accept", password="wrong")
    assert AuditEntry.objects(action="signature_refused", actor="li").count() == 1
    signed = transition_record(receiver, record.number, "accept", password="sign here 123")
    signature = signed.signatures[0]
    assert signature["name"] == "Li" and signature["meaning"] == "reviewed"
    signed_version = RecordVersion.objects.get(number=record.number, version=signature["version"])
    assert signature["version_hash"] == signed_version.hash
    assert signed.retention_ends_on.year == signed.updated_at.year + 3


def test_void_keeps_the_number_and_shows_as_void(staff, controller):
    record = create_record(staff, "handover_log", HANDOVER)
    voided = transition_record(controller, record.number, "void", comment="重复登记")
    assert voided.number == record.number and voided.state == "void"
    nxt = create_record(staff, "handover_log", HANDOVER)
    assert nxt.number.endswith("-0002")


def test_staff_of_another_department_cannot_see_or_change(staff):
    record = create_record(staff, "handover_log", HANDOVER)
    outsider = actor("zhao", "staff", department="HEAT")
    with pytest.raises(NotFound):
        history.versions(outsider, record.number)
    with pytest.raises(NotFound):
        revise_record(outsider, record.number, {"events": "x"}, base_version=1)


def test_auditors_read_everything_and_change_nothing(staff, auditor):
    record = create_record(staff, "handover_log", HANDOVER)
    assert history.version(auditor, record.number, 1).data["title"] == "夜班交接"
    with pytest.raises(PermissionDenied):
        revise_record(auditor, record.number, {"events": "x"}, base_version=1)
    with pytest.raises(PermissionDenied):
        create_record(auditor, "handover_log", HANDOVER)


def test_numbers_take_the_local_year_across_new_year(staff):
    """At 00:30 on 1 January in Shanghai it is still 31 December in UTC: the
    record starts the new year's sequence all the same."""
    from datetime import datetime

    from records.clock import from_local, simulated

    def create_at(local: str):
        moment = from_local(datetime.fromisoformat(local))
        with simulated(lambda: moment):
            return create_record(staff, "handover_log", {**HANDOVER, "shift_date": local[:10]})

    assert from_local(datetime(2026, 1, 1, 0, 30)) == datetime(2025, 12, 31, 16, 30)
    old = [create_at("2025-12-31T23:00").number, create_at("2025-12-31T23:59").number]
    new = [
        create_at("2026-01-01T00:30").number,
        create_at("2026-01-01T07:59").number,
        create_at("2026-01-01T08:30").number,
    ]
    assert old == ["QR-021-2025-0001", "QR-021-2025-0002"]
    assert new == ["QR-021-2026-0001", "QR-021-2026-0002", "QR-021-2026-0003"]
    assert Record.objects.get(number=new[0]).year == 2026
