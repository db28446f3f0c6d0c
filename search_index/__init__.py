"""Full-text search over records: a facade over a Whoosh index.

The portal talks to search only through the names in ``__all__``, so the
engine behind it can change. The schema here is the foundation's; the search
issue fills it with record versions, Chinese analysis and queries.
"""

from __future__ import annotations

import os
from pathlib import Path

from whoosh import fields, index
from whoosh.index import EmptyIndexError

__all__ = ["SearchIndex", "SearchIndexError", "SCHEMA"]

SCHEMA = fields.Schema(
    id=fields.ID(stored=True, unique=True),
    record_type=fields.ID(stored=True),
    number=fields.ID(stored=True),
    text=fields.TEXT(),
)


class SearchIndexError(RuntimeError):
    """The index cannot be opened or used."""


class SearchIndex:
    """The Whoosh index in one directory, created on first use."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def open(self) -> index.Index:
        """Open the index, creating an empty one if there is none yet."""
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            if index.exists_in(str(self.path)):
                return index.open_dir(str(self.path))
            return index.create_in(str(self.path), SCHEMA)
        except (OSError, EmptyIndexError, ValueError) as error:
            raise SearchIndexError(f"cannot open the index at {self.path}: {error}") from error

    def health(self) -> dict:
        """Whether the index opens and answers, with its document count."""
        try:
            ix = self.open()
            with ix.searcher() as searcher:
                documents = searcher.doc_count()
        except Exception as error:  # noqa: BLE001 - any failure means unhealthy
            return {"ok": False, "error": type(error).__name__}
        return {"ok": True, "documents": documents}
