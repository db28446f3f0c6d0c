"""Uploaded files: the size rule every upload is held to, and a stored file
read back only while it matches the checksum it was stored with."""

from __future__ import annotations

import gridfs
import pytest

from records.attachments import BUCKET, attach_file, read_attachment
from records.errors import InvalidData
from records.files import check_size
from records.operations import create_record
from records.store import database
from records.word.templates import TemplateProblem
from tests.records.conftest import HANDOVER

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_an_empty_or_too_large_upload_is_refused_on_the_file_field():
    with pytest.raises(InvalidData) as empty:
        check_size(b"", 1024 * 1024)
    assert (empty.value.message, empty.value.field) == ("The file is empty.", "file")
    with pytest.raises(TemplateProblem) as large:
        check_size(b"x" * (2 * 1024 * 1024 + 1), 2 * 1024 * 1024, TemplateProblem)
    assert str(large.value) == "The file is larger than 2 MB."
    check_size(b"x" * 1024 * 1024, 1024 * 1024)  # exactly the limit is allowed


def test_an_attachment_changed_in_storage_is_refused_and_an_intact_one_is_read(ctx, staff):
    record = create_record(staff, "handover_log", {**HANDOVER, "taken_over_by": "李雷"})
    with pytest.raises(InvalidData, match="The file is empty."):
        attach_file(staff, record.number, "scan.pdf", b"", base_version=1)
    record = attach_file(staff, record.number, "scan.pdf", PDF, base_version=1)
    item = record.attachments[-1]
    assert read_attachment(staff, record.number, item["id"])[1] == PDF

    # Someone swaps the stored bytes behind the portal's back (same file id).
    bucket = gridfs.GridFSBucket(database(), bucket_name=BUCKET)
    bucket.delete(item["file_id"])
    bucket.upload_from_stream_with_id(item["file_id"], "scan.pdf", PDF + b"% changed\n")
    with pytest.raises(InvalidData, match="no longer matches its checksum"):
        read_attachment(staff, record.number, item["id"])
