"""Attachments: scans of signed paper forms, kept in GridFS with their SHA-256.

An attachment belongs to the version that added it and every later one, so
earlier versions still list exactly the files they had.
"""

from __future__ import annotations

import hashlib
import os

import gridfs
from bson import ObjectId

from records import audit
from records.access import Actor, can_edit, load_visible
from records.clock import utcnow
from records.commit import commit_change
from records.errors import InvalidData, NotFound, PermissionDenied
from records.files import check_size, read_checked
from records.i18n import N_
from records.locks import check_lock
from records.models import Record
from records.store import database, unit_of_work
from records.types import record_type_of
from records.versions import base_version_of, stale_version

BUCKET = "attachments"
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Accepted file types and how their content starts.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    # Word and Excel files are zip archives alike; which one it is, is read
    # from inside by the text reader (records/reading.py), never trusted.
    DOCX: (b"PK\x03\x04",),
    XLSX: (b"PK\x03\x04",),
}
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".docx": DOCX,
    ".xlsx": XLSX,
}


def sniff(content: bytes, claimed: str | None = None) -> str | None:
    """The content type ``content`` really has, among the accepted ones
    (``claimed``, the name's, where the content starts as that type does)."""
    if claimed and content.startswith(SIGNATURES.get(claimed, ())):
        return claimed
    for content_type, starts in SIGNATURES.items():
        if content.startswith(starts):
            return content_type
    return None


def safe_filename(name) -> str:
    """The file's own name, as it may appear in a header and on a page: no
    folders, no control characters (NUL, line breaks), no lone surrogates."""
    if not isinstance(name, str):
        return ""
    name = os.path.basename(name.replace("\\", "/"))
    name = "".join(c for c in name if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF)
    return name.strip().strip(".")[:200] if name.strip(". ") else ""


def attach_file(
    actor: Actor,
    number: str,
    filename: str,
    content: bytes,
    *,
    base_version: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Record:
    """Add a scan to a record: checked, hashed, stored, and a new version."""
    doc = load_visible(actor, number)
    record = Record._from_son(doc)
    record_type = record_type_of(doc["type"])
    if not can_edit(actor, record_type, record):
        raise PermissionDenied(N_("This record cannot be changed in its present state."))
    filename = safe_filename(filename)
    base_version = base_version_of(base_version)
    if not filename:
        raise InvalidData(N_("The file has no name."), field="file")
    check_size(content, max_bytes)
    claimed = EXTENSIONS.get(os.path.splitext(filename)[1].lower())
    actual = sniff(content, claimed)
    if claimed is None or actual != claimed:
        raise InvalidData(
            N_("Only PDF, PNG, JPEG, TIFF, Word (.docx) or Excel (.xlsx) files are accepted."),
            field="file",
        )
    digest = hashlib.sha256(content).hexdigest()
    # GridFS cannot write inside a transaction: store the file first and
    # remove it again if the record's transaction does not commit.
    bucket = gridfs.GridFSBucket(database(), bucket_name=BUCKET)
    file_id = bucket.upload_from_stream(
        filename, content, metadata={"number": number, "sha256": digest, "content_type": actual}
    )

    def work(db, session):
        now = utcnow()
        current = db.records.find_one({"_id": doc["_id"]}, session=session)
        if current["version"] != base_version:
            raise stale_version(db, session, doc["_id"], base_version, actor)
        check_lock(current, actor, now)
        item = {
            "id": str(ObjectId()),
            "file_id": file_id,
            "filename": filename,
            "content_type": actual,
            "size": len(content),
            "sha256": digest,
            "by": actor.username,
            "at": now,
            "version_added": current["version"] + 1,
        }
        new = {
            **current,
            "attachments": [*current.get("attachments", []), item],
            "version": current["version"] + 1,
            "updated_by": actor.username,
            "updated_at": now,
        }
        return commit_change(
            db,
            session,
            new,
            actor=actor,
            operation="attach",
            base=base_version,
            fields=("attachments", "version", "updated_by", "updated_at"),
            changes=[{"field": "attachments", "old": None, "new": filename}],
            details={"filename": filename, "sha256": digest, "size": len(content)},
        )

    try:
        return Record._from_son(unit_of_work(work))
    except BaseException:
        bucket.delete(file_id)
        raise


def read_attachment(
    actor: Actor, number: str, attachment_id: str, version: int | None = None
) -> tuple[dict, bytes]:
    """An attachment's description and content; the download is audited."""
    doc = load_visible(actor, number)
    items = doc.get("attachments", [])
    if version is not None:
        past = database().record_versions.find_one(
            {"record_id": doc["_id"], "version": int(version)}
        )
        items = past.get("attachments", []) if past else []
    item = next((a for a in items if a.get("id") == attachment_id), None)
    if item is None:
        raise NotFound(N_("There is no such attachment."))
    content = read_checked(BUCKET, item)
    audit.record_event_on(
        actor,
        "download",
        doc,
        details={"filename": item["filename"], "sha256": item["sha256"]},
    )
    return item, content
