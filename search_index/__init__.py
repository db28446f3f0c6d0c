"""Full-text search over records: a facade over a Whoosh index.

The portal talks to search only through the names in ``__all__``, so the
engine behind it can change. The schema here is the foundation's; the search
issue fills it with record versions, Chinese analysis and queries.
"""

from __future__ import annotations

import os
from pathlib import Path

from whoosh import fields, index
from whoosh.filedb.filestore import FileStorage

__all__ = ["SearchIndex", "SearchIndexError", "SCHEMA"]

SCHEMA = fields.Schema(
    id=fields.ID(stored=True, unique=True),
    record_type=fields.ID(stored=True),
    number=fields.ID(stored=True),
    text=fields.TEXT(),
)


class SearchIndexError(RuntimeError):
    """The index cannot be opened or used."""


class _ClosingStorage(FileStorage):
    """Closes the files Whoosh opened when opening a damaged index fails
    (Whoosh leaves its table-of-contents file open on such errors)."""

    def __init__(self, path: str):
        super().__init__(path)
        self._opened: list | None = []

    def open_file(self, name, **kwargs):
        stream = super().open_file(name, **kwargs)
        if self._opened is not None:
            self._opened.append(stream)
        return stream

    def close_opened(self) -> None:
        for stream in self._opened or ():
            stream.close()
        self._opened = None

    def stop_tracking(self) -> None:
        self._opened = None


class SearchIndex:
    """The Whoosh index in one directory, created on first use."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def open(self) -> index.Index:
        """Open the index, creating an empty one if there is none yet."""
        self.path.mkdir(parents=True, exist_ok=True)
        storage = _ClosingStorage(str(self.path))
        try:
            if storage.index_exists():
                opened = storage.open_index()
            else:
                opened = storage.create_index(SCHEMA)
        except Exception as error:
            storage.close_opened()
            raise SearchIndexError(f"cannot open the index at {self.path}: {error}") from error
        storage.stop_tracking()
        return opened

    def health(self) -> dict:
        """Whether the index opens and answers, with its document count."""
        try:
            ix = self.open()
            with ix.searcher() as searcher:
                documents = searcher.doc_count()
        except Exception as error:  # noqa: BLE001 - any failure means unhealthy
            return {"ok": False, "error": type(error).__name__}
        return {"ok": True, "documents": documents}
