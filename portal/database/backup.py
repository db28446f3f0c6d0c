"""Backup and restore: one archive of everything the database holds.

An archive is a gzip'd tar: ``manifest.json`` (format, when, the database,
per collection its document count and the SHA-256 of its file) and one file
of concatenated BSON documents per collection, GridFS's files and chunks
included, so every attachment byte comes back. The search index is not in
it: ``portal reindex`` rebuilds it. The audit key is not in it either: it is
kept outside the database on purpose, and the restored trail verifies only
under the same ``PORTAL_AUDIT_KEY`` (or ``audit-key`` file).

The archive is read in one snapshot where the server offers it (a
transaction with snapshot read concern), else read again until the audit
trail's head did not move while reading: consistent while the portal runs.
A restore checks every checksum and count before it writes anything, and
writes only into an empty database.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import bson
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern

from records import presence

FORMAT = "records-portal-backup/1"
MANIFEST = "manifest.json"
#: Documents written per insert when restoring.
BATCH = 500
#: What every start of the portal fills by itself (the official calendar): a
#: database holding only these counts as empty, and the archive's replace them.
SEEDED = frozenset({"calendar_days", "calendar_meta", "calendar_years"})


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


@dataclass(frozen=True)
class Summary:
    path: Path
    collections: dict[str, int]
    size: int

    @property
    def documents(self) -> int:
        return sum(self.collections.values())


#: What describes the processes running now, not the records: not archived,
#: and no reason to call a database taken (the restoring command has its entry).
TRANSIENT = frozenset({presence.COLLECTION})


def _collections(db: Database) -> list[str]:
    return sorted(
        n for n in db.list_collection_names() if not n.startswith("system.") and n not in TRANSIENT
    )


def _head(db: Database):
    head = db.audit_head.find_one({}) if "audit_head" in db.list_collection_names() else None
    return (head or {}).get("seq"), db.audit.estimated_document_count()


def _dump(db: Database, session=None) -> dict[str, bytes]:
    files = {}
    for name in _collections(db):
        out = io.BytesIO()
        for doc in db[name].find({}, session=session).sort("_id", 1):
            out.write(bson.encode(doc))
        files[name] = out.getvalue()
    return files


def _snapshot(db: Database) -> dict[str, bytes]:
    """Every collection as it stood at one moment."""
    try:
        with (
            db.client.start_session() as session,
            session.start_transaction(read_concern=ReadConcern("snapshot")),
        ):
            return _dump(db, session)
    except (OperationFailure, PyMongoError):
        pass
    for _attempt in range(5):
        before = _head(db)
        files = _dump(db)
        if _head(db) == before:
            return files
        time.sleep(0.2)
    raise BackupError(
        "The records kept changing while they were read; try again in a quieter moment."
    )


def backup(db: Database, path: Path) -> Summary:
    """Write one archive of the whole database to ``path`` (not overwritten)."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already; choose a new file name.")
    files = _snapshot(db)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": db.name,
        "collections": {
            name: {
                "documents": _count(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "bytes": len(content),
            }
            for name, content in files.items()
        },
    }
    scratch = path.with_name(f".{path.name}.partial")
    with tarfile.open(scratch, "w:gz") as archive:
        _add(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
        for name, content in files.items():
            _add(archive, f"collections/{name}.bson", content)
    scratch.rename(path)
    return Summary(
        path, {n: c["documents"] for n, c in manifest["collections"].items()}, path.stat().st_size
    )


def _add(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(time.time())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(content))


def _count(content: bytes) -> int:
    return sum(1 for _doc in bson.decode_file_iter(io.BytesIO(content)))


def read_archive(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and the collections of an archive, every checksum checked."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = {m.name: m for m in archive.getmembers() if m.isfile()}
            if MANIFEST not in members:
                raise BackupError(f"{path} is not a portal backup: it has no manifest.")
            manifest = json.loads(archive.extractfile(members[MANIFEST]).read())
            if manifest.get("format") != FORMAT:
                raise BackupError(
                    f"{path} is a backup of another format ({manifest.get('format')!r})."
                )
            files = {}
            for name, expected in manifest["collections"].items():
                member = members.get(f"collections/{name}.bson")
                if member is None:
                    raise BackupError(f"The archive is damaged: {name} is missing.")
                content = archive.extractfile(member).read()
                if hashlib.sha256(content).hexdigest() != expected["sha256"]:
                    raise BackupError(
                        f"The archive is damaged: {name} does not match its checksum."
                    )
                if _count(content) != expected["documents"]:
                    raise BackupError(
                        f"The archive is damaged: {name} holds another number "
                        "of documents than its manifest says."
                    )
                files[name] = content
    except (tarfile.TarError, OSError, EOFError, ValueError, bson.errors.BSONError) as error:
        raise BackupError(f"{path} cannot be read as a portal backup ({error}).") from None
    return manifest, files


def restore(db: Database, path: Path) -> Summary:
    """Restore an archive into an empty database; nothing is written unless
    the whole archive checks out."""
    manifest, files = read_archive(Path(path))
    taken = [n for n in _collections(db) if n not in SEEDED and db[n].estimated_document_count()]
    if taken:
        raise BackupError(
            f"The database {db.name} is not empty ({', '.join(taken[:5])}); "
            "restore only into an empty one."
        )
    written: list[str] = []
    try:
        for name in SEEDED & set(files):
            db[name].delete_many({})
        for name, content in files.items():
            batch = []
            for doc in bson.decode_file_iter(io.BytesIO(content)):
                batch.append(doc)
                if len(batch) >= BATCH:
                    db[name].insert_many(batch, ordered=True)
                    batch = []
            if batch:
                db[name].insert_many(batch, ordered=True)
            written.append(name)
    except PyMongoError as error:
        for name in [*written, *files]:
            db[name].delete_many({})
        raise BackupError(f"The restore failed and was undone: {error}") from None
    return Summary(
        Path(path),
        {n: c["documents"] for n, c in manifest["collections"].items()},
        Path(path).stat().st_size,
    )


def prune(folder: Path, keep: int, prefix: str = "portal-") -> list[Path]:
    """Remove all but the ``keep`` newest archives named ``prefix*.tar.gz``."""
    archives = sorted(Path(folder).glob(f"{prefix}*.tar.gz"))
    doomed = archives[:-keep] if keep > 0 else []
    for old in doomed:
        old.unlink()
    return doomed


def scheduled_backup(db: Database, folder: Path, keep: int, now: datetime | None = None) -> Summary:
    """One archive named by the time (``now``, UTC) into ``folder``, keeping
    the newest ``keep``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    summary = backup(db, folder / f"portal-{stamp}.tar.gz")
    prune(folder, keep)
    return summary
