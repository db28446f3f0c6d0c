"""Files people upload and the portal keeps in GridFS (attachments, Word
templates, complaint ledgers): the size every upload is held to, and reading a
stored file back against the SHA-256 it was stored with."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import gridfs

from records.errors import InvalidData
from records.i18n import N_
from records.store import database


def check_size(content: bytes, max_bytes: int, error: type[InvalidData] = InvalidData) -> None:
    """Refuse an empty upload or one larger than ``max_bytes`` (on the form's
    ``file`` field), as ``error``."""
    if not content:
        raise error(N_("The file is empty."), field="file")
    if len(content) > max_bytes:
        raise error(
            N_("The file is larger than %(mb)d MB."), field="file", mb=max_bytes // (1024 * 1024)
        )


def read_checked(bucket: str, entry: Mapping) -> bytes:
    """The content of the stored file ``entry`` describes (its ``file_id`` in
    ``bucket``), refused if it no longer matches the ``sha256`` it was stored with."""
    content = (
        gridfs.GridFSBucket(database(), bucket_name=bucket)
        .open_download_stream(entry["file_id"])
        .read()
    )
    if hashlib.sha256(content).hexdigest() != entry["sha256"]:
        raise InvalidData(N_("The stored file no longer matches its checksum."))
    return content
