"""The text of attachments, read in the background, and their page images.

Each attachment (a file of one record's version, immutable once attached)
has one entry in ``attachment_texts``, keyed by the attachment's id: its
state (pending, reading, done, failed with a reason), the text of each page,
the engine and language that read it, the SHA-256 of the source it was read
from, and the page images. Entries are made by :func:`discover`, which finds
attachments that have none, so attaching a file needs no hook here.

Reading happens in a child process (:mod:`records.reading`) with limits on
time, CPU and memory, at a low priority: a hostile file fails with a reason,
and the portal goes on answering. When a file is read, its record is queued
for the search index again, which then indexes the text with the record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import gridfs
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from records.access import Actor, can_view, load_visible
from records.attachments import BUCKET
from records.clock import utcnow
from records.errors import NotFound
from records.i18n import N_
from records.models import Record
from records.operations import queue_for_index
from records.reading import OCR_LANGUAGES
from records.store import database, unit_of_work

log = logging.getLogger(__name__)

COLLECTION = "attachment_texts"
PREVIEWS = "attachment_previews"
SCAN_MARK = "attachment_texts_scan"

PENDING, READING, DONE, FAILED = "pending", "reading", "done", "failed"
#: The states whose pages hold text (failed: only a file cut at the page limit).
WITH_TEXT = [DONE, FAILED]

#: Why a file could not be read, as people are told (with its parameters).
REASONS = {
    "unknown_type": N_("its content is not a PDF, image, Word or Excel file"),
    "type_mismatch": N_("its content is a %(found)s file, but its name says otherwise"),
    "encrypted": N_("the PDF is protected by a password"),
    "corrupt_pdf": N_("the PDF is damaged"),
    "damaged": N_("the file is damaged"),
    "image_too_large": N_("the image is too large (%(width)d × %(height)d pixels)"),
    "too_much_memory": N_("reading it needed more memory than allowed"),
    "timeout": N_("reading it took longer than %(seconds)d seconds"),
    "page_timeout": N_("reading a page took longer than %(seconds)d seconds"),
    "no_ocr": N_("the OCR program is not installed"),
    "ocr_failed": N_("the OCR program could not read a page"),
    "checksum": N_("the stored file no longer matches its checksum"),
    "missing": N_("the stored file is missing"),
    "crashed": N_("the reader stopped unexpectedly"),
    "too_many_pages": N_(
        "it has %(total)s pages: only the first %(read)s were read, and only they can be found"
    ),
}
#: Names of the kinds of files, for the reasons above.
KINDS = {
    "pdf": N_("PDF"),
    "image": N_("image"),
    "docx": N_("Word"),
    "xlsx": N_("Excel"),
}


@dataclass(frozen=True)
class Limits:
    """What reading one file may cost."""

    seconds: int = 600
    page_seconds: int = 120
    memory_mb: int = 2048
    max_pages: int = 200
    max_ocr_pages: int = 30
    preview_pages: int = 20
    max_pixels: int = 60_000_000
    max_chars: int = 2_000_000
    languages: tuple[str, ...] = OCR_LANGUAGES

    def for_child(self, filename: str) -> str:
        return json.dumps(
            {
                "filename": filename,
                "seconds": self.seconds,
                "memory_mb": self.memory_mb,
                "page_seconds": self.page_seconds,
                "max_pages": self.max_pages,
                "max_ocr_pages": self.max_ocr_pages,
                "preview_pages": self.preview_pages,
                "max_pixels": self.max_pixels,
                "languages": self.languages,
            }
        )


def ensure_indexes(db) -> None:
    db[COLLECTION].create_index([("state", 1), ("claimed_until", 1)])
    db[COLLECTION].create_index([("record_id", 1)])


# --- finding work -----------------------------------------------------------


def _entry(record: dict, item: dict) -> dict:
    return {
        "_id": item["id"],
        "record_id": record["_id"],
        "number": record["number"],
        "file_id": item["file_id"],
        "filename": item.get("filename", ""),
        "sha256": item.get("sha256"),
        "version_added": item.get("version_added") or record.get("version") or 1,
        "state": PENDING,
        "queued_at": utcnow(),
    }


def discover(db=None, slack: timedelta = timedelta(minutes=2), everything: bool = False) -> int:
    """Make a pending entry for every attachment that has none; how many.

    Records are read from where the last round stopped (by ``updated_at``,
    with some slack for clocks of other processes): attaching a file always
    changes its record. ``everything`` looks at every record again."""
    db = db if db is not None else database()
    mark = db.counters.find_one({"_id": SCAN_MARK}) or {}
    query = {"attachments": {"$exists": True}}
    if mark.get("at") and not everything:
        query["updated_at"] = {"$gte": mark["at"] - slack}
    newest, added = mark.get("at"), 0
    for record in db.records.find(
        query, {"number": 1, "attachments": 1, "updated_at": 1, "version": 1}
    ):
        if record.get("updated_at") and (newest is None or record["updated_at"] > newest):
            newest = record["updated_at"]
        items = [a for a in record.get("attachments") or () if a.get("id")]
        if not items:
            continue
        known = {
            e["_id"] for e in db[COLLECTION].find({"_id": {"$in": [a["id"] for a in items]}}, {})
        }
        for item in items:
            if item["id"] in known:
                continue
            try:
                db[COLLECTION].insert_one(_entry(record, item))
                added += 1
            except DuplicateKeyError:
                pass  # another worker made it first
    if newest is not None:
        db.counters.update_one({"_id": SCAN_MARK}, {"$max": {"at": newest}}, upsert=True)
    return added


def claim(db=None, claim_for: timedelta = timedelta(minutes=15)) -> dict | None:
    """Take the next pending attachment (or one whose reader died)."""
    db = db if db is not None else database()
    now = utcnow()
    return db[COLLECTION].find_one_and_update(
        {
            "$or": [
                {"state": PENDING},
                {"state": READING, "claimed_until": {"$lt": now}},
            ]
        },
        {"$set": {"state": READING, "claimed_until": now + claim_for, "started_at": now}},
        sort=[("queued_at", 1)],
        return_document=ReturnDocument.AFTER,
    )


# --- reading ----------------------------------------------------------------


def run_reader(content: bytes, filename: str, limits: Limits, workdir: Path) -> dict:
    """Read ``content`` in a limited child process; its result (never raises
    for what the file does)."""
    source = workdir / "source"
    source.write_bytes(content)
    out = workdir / "out"
    out.mkdir()
    project = str(Path(__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [project, os.environ.get("PYTHONPATH")])),
    }
    # The child limits itself (records.reading.limit_self) before it reads
    # anything: a preexec_fn is not safe in a process with threads. Its own
    # session lets a timeout end it with the Tesseract it started.
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "records.reading",
            str(source),
            str(out),
            limits.for_child(filename),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        _out, stderr_bytes = child.communicate(timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return {"ok": False, "reason": "timeout", "params": {"seconds": limits.seconds}}
    result_file = out / "result.json"
    if not result_file.exists():
        stderr = stderr_bytes.decode("utf-8", "replace")
        log.warning("reading %s stopped (%s): %s", filename, child.returncode, stderr[-500:])
        if "MemoryError" in stderr or "bad_alloc" in stderr:
            return {"ok": False, "reason": "too_much_memory", "params": {}}
        if child.returncode in (-9, -24):  # SIGKILL, SIGXCPU: over a limit
            return {"ok": False, "reason": "timeout", "params": {"seconds": limits.seconds}}
        return {"ok": False, "reason": "crashed", "params": {}}
    result = json.loads(result_file.read_text(encoding="utf-8"))
    result["out"] = out
    return result


def _fail(db, entry: dict, reason: str, params: dict | None = None) -> None:
    db[COLLECTION].update_one(
        {"_id": entry["_id"]},
        {
            "$set": {
                "state": FAILED,
                "reason": reason,
                "reason_params": params or {},
                "finished_at": utcnow(),
            },
            "$unset": {"claimed_until": ""},
        },
    )


def _store_previews(db, entry: dict, result: dict) -> list[dict]:
    bucket = gridfs.GridFSBucket(db, bucket_name=PREVIEWS)
    out: Path = result["out"]
    stored = []
    for preview in result.get("previews") or ():
        item = {"page": preview["page"]}
        for size in ("large", "thumb"):
            if preview.get(size):
                item[size] = bucket.upload_from_stream(
                    f"{entry['_id']}-{preview['page']}-{size}.png",
                    (out / preview[size]).read_bytes(),
                    metadata={"attachment": entry["_id"], "page": preview["page"], "size": size},
                )
        stored.append(item)
    return stored


def _drop_previews(db, entry: dict) -> None:
    bucket = gridfs.GridFSBucket(db, bucket_name=PREVIEWS)
    for preview in entry.get("previews") or ():
        for size in ("large", "thumb"):
            if preview.get(size):
                with contextlib.suppress(gridfs.errors.NoFile):
                    bucket.delete(preview[size])


def extract(entry: dict, limits: Limits, db=None) -> dict:
    """Read a claimed attachment, store what was read and queue its record
    for the search index; the entry as stored."""
    db = db if db is not None else database()
    try:
        content = (
            gridfs.GridFSBucket(db, bucket_name=BUCKET)
            .open_download_stream(entry["file_id"])
            .read()
        )
    except gridfs.errors.NoFile:
        _fail(db, entry, "missing")
        return db[COLLECTION].find_one({"_id": entry["_id"]})
    digest = hashlib.sha256(content).hexdigest()
    if entry.get("sha256") and digest != entry["sha256"]:
        _fail(db, entry, "checksum")
        return db[COLLECTION].find_one({"_id": entry["_id"]})
    with tempfile.TemporaryDirectory(prefix="portal-reading-") as folder:
        result = run_reader(content, entry.get("filename", ""), limits, Path(folder))
        if not result.get("ok"):
            _fail(db, entry, result["reason"], result.get("params"))
            return db[COLLECTION].find_one({"_id": entry["_id"]})
        # The new images first; the old ones go once the entry points at the
        # new (a page shown meanwhile still finds its image).
        previews = _store_previews(db, entry, result)
    pages, chars = [], 0
    for page in result["pages"]:
        text = page["text"][: max(0, limits.max_chars - chars)]
        chars += len(text)
        pages.append({k: v for k, v in {**page, "text": text}.items() if v is not None})
    cut = result["page_count"] > len(pages)
    fields = {
        # A file cut at the page limit is not read: it ends failed with the
        # reason, but what was read of it is kept, shown and searchable.
        "state": FAILED if cut else DONE,
        "reason": "too_many_pages" if cut else None,
        "reason_params": ({"total": result["page_count"], "read": len(pages)} if cut else {}),
        "kind": result["kind"],
        "engine": result["engine"],
        "language": result.get("language"),
        "source_sha256": digest,
        "pages": pages,
        "chars": chars,
        "page_count": result["page_count"],
        "pages_read": len(pages),
        "previews": previews,
        "finished_at": utcnow(),
    }

    stored: list[bool] = []

    def work(db_, session):
        stored.clear()
        # Only while this reading holds it: a disposal (the entry gone) or a
        # new reading asked for meanwhile keeps what this one read out.
        done = db_[COLLECTION].update_one(
            {"_id": entry["_id"], "state": READING},
            {"$set": fields, "$unset": {"claimed_until": ""}},
            session=session,
        )
        stored.append(done.matched_count == 1)
        record = db_.records.find_one({"_id": entry["record_id"]}, session=session)
        if done.matched_count and record is not None:
            # From the version that added it: past versions that list the
            # file are indexed with its text too.
            queue_for_index(db_, session, {**record, "version": entry["version_added"]})

    unit_of_work(work)
    # Whichever set of page images the entry does not point at is removed:
    # no image of a disposed record, none left behind by a second reading.
    _drop_previews(db, entry if stored and stored[0] else {"previews": previews})
    return db[COLLECTION].find_one({"_id": entry["_id"]})


def work_once(limits: Limits, db=None) -> dict | None:
    """One round of the worker: find new attachments, read the next one."""
    db = db if db is not None else database()
    discover(db)
    entry = claim(db, claim_for=timedelta(seconds=limits.seconds + 60))
    if entry is None:
        return None
    try:
        return extract(entry, limits, db)
    except Exception:
        log.exception("reading attachment %s failed", entry["_id"])
        _fail(db, entry, "crashed")
        raise


def forget(record_id, db=None) -> int:
    """Delete what was read of a disposed record's files, and their page
    images (nothing of a disposed record is kept but its certificate)."""
    db = db if db is not None else database()
    entries = list(db[COLLECTION].find({"record_id": record_id}, {"previews": 1}))
    for entry in entries:
        _drop_previews(db, entry)
    db[COLLECTION].delete_many({"record_id": record_id})
    return len(entries)


def reextract(number: str | None = None, db=None) -> int:
    """Read attachments again (of one record, or all); how many were queued."""
    db = db if db is not None else database()
    discover(db, everything=True)
    query = {"number": number} if number else {}
    count = 0
    for entry in db[COLLECTION].find(query, {"previews": 1}):
        queued = db[COLLECTION].update_one(
            # One being read now is left to its reader (a second reader of
            # the same file would leave the first one's images behind).
            {"_id": entry["_id"], "state": {"$ne": READING}},
            {
                "$set": {"state": PENDING, "queued_at": utcnow(), "reason": None},
                "$unset": {"claimed_until": ""},
            },
        )
        count += queued.modified_count
    return count


# --- reading what was read --------------------------------------------------


def texts_for_index(db, record_ids) -> dict:
    """``{record_id: {attachment_id: text}}`` of the files read (for the index)."""
    out: dict = {}
    for entry in db[COLLECTION].find(
        {"record_id": {"$in": list(record_ids)}, "state": {"$in": WITH_TEXT}},
        {"record_id": 1, "pages.text": 1},
    ):
        text = "\n".join(page.get("text", "") for page in entry.get("pages") or ())
        if text:
            out.setdefault(entry["record_id"], {})[entry["_id"]] = text
    return out


def extractions(actor: Actor, number: str) -> dict[str, dict]:
    """What was read of each attachment of a record the actor may see."""
    doc = load_visible(actor, number)
    return {
        e["_id"]: e
        for e in database()[COLLECTION].find({"record_id": doc["_id"]}, {"pages.text": 0})
    }


def page_texts(actor: Actor, numbers: list[str]) -> dict[str, list[dict]]:
    """``{number: [entry with pages]}`` of records the actor may see
    (search hits, which are visible already; checked again all the same)."""
    db = database()
    allowed = {}
    for doc in db.records.find({"number": {"$in": list(numbers)}}):
        if can_view(actor, Record._from_son(doc)):
            allowed[doc["_id"]] = doc["number"]
    out: dict[str, list[dict]] = {}
    for entry in db[COLLECTION].find(
        {"record_id": {"$in": list(allowed)}, "state": {"$in": WITH_TEXT}},
        {"record_id": 1, "filename": 1, "pages": 1},
    ):
        out.setdefault(allowed[entry["record_id"]], []).append(entry)
    return out


def attachment_pages(actor: Actor, number: str, attachment_id: str) -> list[dict]:
    """The text read from each page (or sheet) of an attachment of a record
    the actor may see (the viewer of files without page images)."""
    doc = load_visible(actor, number)
    entry = database()[COLLECTION].find_one(
        {"_id": attachment_id, "record_id": doc["_id"], "state": {"$in": WITH_TEXT}}, {"pages": 1}
    )
    return list((entry or {}).get("pages") or ())


def read_preview(actor: Actor, number: str, attachment_id: str, page: int, size: str) -> bytes:
    """A page image (``large``) or the thumbnail (``thumb``) of an
    attachment of a record the actor may see."""
    doc = load_visible(actor, number)
    db = database()
    entry = db[COLLECTION].find_one({"_id": attachment_id, "record_id": doc["_id"]})
    found = next(
        (p for p in (entry or {}).get("previews") or () if p.get("page") == page and p.get(size)),
        None,
    )
    if found is None:
        raise NotFound(N_("There is no such page image."))
    try:
        stream = gridfs.GridFSBucket(db, bucket_name=PREVIEWS).open_download_stream(found[size])
    except gridfs.errors.NoFile as error:
        # Replaced by a new reading of the file a moment ago: the page asks again.
        raise NotFound(N_("There is no such page image.")) from error
    return stream.read()
