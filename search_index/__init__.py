"""Full-text search over records, current and past versions.

The portal talks to search only through the names in ``__all__``, so the
engine behind it can change: open an :class:`IndexStore`, keep it fed with an
:class:`Indexer` (or an :class:`IndexerThread`), and ask :func:`search` with
a :class:`Search` on behalf of an actor.
"""

from __future__ import annotations

from search_index.highlight import snippet
from search_index.indexer import Indexer, IndexerThread
from search_index.query import (
    FACETS,
    Hit,
    QueryError,
    Results,
    Search,
    may_search,
    may_search_history,
    search,
)
from search_index.schema import CERTIFICATE_TYPE
from search_index.store import IndexBusy, IndexStore, SearchIndexError

__all__ = [
    "CERTIFICATE_TYPE",
    "FACETS",
    "Hit",
    "IndexBusy",
    "IndexStore",
    "Indexer",
    "IndexerThread",
    "QueryError",
    "Results",
    "Search",
    "SearchIndexError",
    "may_search",
    "may_search_history",
    "search",
    "snippet",
]
