"""The Tantivy engine: the same documents, queries and rules, run in Rust.

The analysis stays in Python (:mod:`search_index.analysis`) and hands each
text over as terms joined by spaces, which Tantivy's whitespace tokenizer
splits and positions in Rust (making a token object per term in Python cost
more than the analysis). The words of a text go to its field (``body``),
with positions for phrases; the words inside long words and the form codes
go beside them (``body_parts``), so 管理 finds 管理程序; Chinese bigrams go
to ``grams``. Whoosh's parser still reads what users type; :func:`translate`
turns its tree into Tantivy queries. Filters (what the viewer may see, the facets chosen, dates)
are matched with a constant score of zero, so they never change a ranking.

Tantivy keeps dates to the second; versions of a record change within a
second, so every moment is kept as microseconds since 1970 in an integer
fast field instead (exact, sortable, and "forever" fits).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tantivy
from whoosh import query as wq

from search_index.analysis import gram_pieces, index_pieces

log = logging.getLogger(__name__)

NAMES = ("current", "history")
#: Written into each generation: an index of another engine or an older
#: layout is rebuilt, never misread.
MARKER = "tantivy-2"
FACET_FIELDS = ("type", "state", "department", "severity")
DATE_FIELDS = ("created", "updated", "valid_from", "valid_to")
WORD_FIELDS = ("title", "body", "private")
PART_FIELDS = tuple(f"{name}_parts" for name in WORD_FIELDS)
GRAM_FIELDS = ("grams", "private_grams")
_EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)
#: Writer memory per index; Tantivy needs at least 15 MB per thread.
HEAP_BYTES = 64_000_000
#: Writer memory per index during a rebuild: a segment is flushed each time
#: it fills, and fewer, larger segments leave less to merge.
REBUILD_HEAP_BYTES = 256_000_000


def make_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(
        "key", stored=True, fast=True, tokenizer_name="raw", index_option="basic"
    )
    builder.add_text_field("number", tokenizer_name="raw", index_option="freq")
    builder.add_integer_field("version", stored=True, fast=True)
    for name in FACET_FIELDS:
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("people", tokenizer_name="raw", index_option="basic")
    for name in DATE_FIELDS:
        builder.add_integer_field(name, fast=True, indexed=True)
    for name in (*WORD_FIELDS, *GRAM_FIELDS):
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    for name in PART_FIELDS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    return builder.build()


SCHEMA = make_schema()


def micros(moment: datetime) -> int:
    """A moment (naive UTC, as stored) as microseconds since 1970."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment - _EPOCH) // _MICRO


#: An analysed document: plain values in a fixed order (see :func:`analyse`),
#: cheap to hand from an analysing process to the one writer.
Analysed = tuple


def analyse(doc: dict) -> Analysed:
    """The values of an index document (see :mod:`search_index.schema`) as
    Tantivy takes them, analysed. Pure, and cheap to pickle (a Tantivy
    document measured twenty times dearer to send between processes): each
    text is its paragraphs' analysed pieces, which the versions of a record
    share (:func:`build` joins them)."""
    out: list = [doc["key"], doc["number"], int(doc.get("version") or 0)]
    out.extend(doc.get(name) or "" for name in FACET_FIELDS)
    out.append(doc.get("people") or "")
    out.extend(micros(doc[name]) if doc.get(name) else None for name in DATE_FIELDS)
    out.extend(index_pieces(doc.get(name) or "") for name in WORD_FIELDS)
    out.extend(gram_pieces(doc.get(name) or "") for name in GRAM_FIELDS)
    return tuple(out)


def build(analysed: Analysed) -> tantivy.Document:
    """The Tantivy document of :func:`analyse`'s values."""
    key, number, version, *rest = analysed
    out = tantivy.Document()
    out.add_text("key", key)
    out.add_text("number", number)
    out.add_integer("version", version)
    facets, rest = rest[: len(FACET_FIELDS)], rest[len(FACET_FIELDS) :]
    for name, value in zip(FACET_FIELDS, facets, strict=True):
        if value:
            out.add_text(name, value)
    people, rest = rest[0], rest[1:]
    for person in people.split():
        out.add_text("people", person)
    dates, texts = rest[: len(DATE_FIELDS)], rest[len(DATE_FIELDS) :]
    for name, moment in zip(DATE_FIELDS, dates, strict=True):
        if moment is not None:
            out.add_integer(name, moment)
    # Each paragraph is a value of its own: Tantivy leaves a position free
    # between two values, so no phrase spans a paragraph's end, and the
    # pieces are the analysis's cached strings, shared by a record's
    # versions: each is converted for Rust once, where a text joined per
    # document was converted again for every document.
    words, grams = texts[: len(WORD_FIELDS)], texts[len(WORD_FIELDS) :]
    for name, parts, pieces in zip(WORD_FIELDS, PART_FIELDS, words, strict=True):
        for main, inside in pieces:
            if main:
                out.add_text(name, main)
            if inside:
                out.add_text(parts, inside)
    for name, pieces in zip(GRAM_FIELDS, grams, strict=True):
        for piece in pieces:
            if piece:
                out.add_text(name, piece)
    return out


def analyse_records(batch: list[tuple[dict, list[dict]]]) -> tuple[object, list]:
    """For a rebuild, in any process: the last ``_id`` of a batch of
    ``(record, versions)`` and, per record, its current document and its
    versions' documents, analysed."""
    from search_index.indexer import ATTACHMENT_TEXTS, history_documents
    from search_index.schema import document

    items = []
    for record, versions in batch:
        text = record.get(ATTACHMENT_TEXTS)
        items.append(
            (
                analyse(document(record, attachment_text=text)),
                [analyse(doc) for doc in history_documents(record, versions, text)],
            )
        )
    return batch[-1][0]["_id"], items


def to_document(doc: dict) -> tantivy.Document:
    """The Tantivy document of an index document (see :mod:`search_index.schema`)."""
    return build(analyse(doc))


# --- queries -------------------------------------------------------------

_FIELDS = {
    "key",
    "number",
    *FACET_FIELDS,
    "people",
    *DATE_FIELDS,
    *WORD_FIELDS,
    *GRAM_FIELDS,
    *PART_FIELDS,
}
Occur = tantivy.Occur
Q = tantivy.Query


def _boosted(query: tantivy.Query, boost: float) -> tantivy.Query:
    return query if boost == 1.0 else Q.boost_query(query, float(boost))


def _everything_but(query: tantivy.Query) -> tantivy.Query:
    return Q.boolean_query([(Occur.Must, Q.all_query()), (Occur.MustNot, query)])


def translate(query: wq.Query) -> tantivy.Query:
    """The Tantivy query of a (normalised) Whoosh query tree."""
    if isinstance(query, wq.Term):
        if query.fieldname not in _FIELDS or query.fieldname in DATE_FIELDS:
            return Q.empty_query()
        text = query.text.decode("utf-8") if isinstance(query.text, bytes) else str(query.text)
        found = Q.term_query(SCHEMA, query.fieldname, text)
        if query.fieldname in WORD_FIELDS:
            found = Q.boolean_query(
                [
                    (Occur.Should, found),
                    (Occur.Should, Q.term_query(SCHEMA, f"{query.fieldname}_parts", text)),
                ]
            )
        return _boosted(found, query.boost)
    if isinstance(query, wq.Phrase):
        if query.fieldname not in (*WORD_FIELDS, *GRAM_FIELDS):
            return Q.empty_query()
        words: list[str | tuple[int, str]] = [str(word) for word in query.words]
        if len(words) == 1:
            found = Q.term_query(SCHEMA, query.fieldname, str(words[0]))
        else:
            found = Q.phrase_query(
                SCHEMA, query.fieldname, words, slop=query.slop - 1 if query.slop > 1 else 0
            )
        return _boosted(found, query.boost)
    if isinstance(query, wq.AndNot):
        return Q.boolean_query(
            [(Occur.Must, translate(query.a)), (Occur.MustNot, translate(query.b))]
        )
    if isinstance(query, wq.AndMaybe):
        return Q.boolean_query(
            [(Occur.Must, translate(query.a)), (Occur.Should, translate(query.b))]
        )
    if isinstance(query, wq.Require):
        return Q.boolean_query(
            [
                (Occur.Must, translate(query.a)),
                (Occur.Must, Q.const_score_query(translate(query.b), 0.0)),
            ]
        )
    if isinstance(query, wq.And):
        clauses = [
            (Occur.MustNot, translate(sub.query))
            if isinstance(sub, wq.Not)
            else (Occur.Must, translate(sub))
            for sub in query.subqueries
        ]
        if all(occur == Occur.MustNot for occur, _q in clauses):
            clauses.append((Occur.Must, Q.all_query()))
        return _boosted(Q.boolean_query(clauses), query.boost)
    if isinstance(query, wq.Or):
        return _boosted(
            Q.boolean_query([(Occur.Should, translate(sub)) for sub in query.subqueries]),
            query.boost,
        )
    if isinstance(query, wq.Not):
        return _everything_but(translate(query.query))
    if isinstance(query, wq.DateRange):
        if query.fieldname not in DATE_FIELDS or not (query.startdate or query.enddate):
            return Q.all_query()
        low = micros(query.startdate) if query.startdate else None
        high = micros(query.enddate) if query.enddate else None
        return Q.range_query(
            SCHEMA,
            query.fieldname,
            tantivy.FieldType.Integer,
            low,
            high,
            include_lower=low is None or not query.startexcl,
            include_upper=high is None or not query.endexcl,
        )
    if isinstance(query, wq.Every):
        return Q.all_query()
    # NullQuery, an error from a field that parses itself, anything unknown:
    # nothing, as in Whoosh.
    return Q.empty_query()


def as_of(moment: datetime) -> tantivy.Query:
    """Versions in force at ``moment``: valid_from <= moment < valid_to."""
    at = micros(moment)
    return Q.boolean_query(
        [
            (Occur.Must, Q.range_query(SCHEMA, "valid_from", tantivy.FieldType.Integer, None, at)),
            (
                Occur.Must,
                Q.range_query(
                    SCHEMA, "valid_to", tantivy.FieldType.Integer, at, None, include_lower=False
                ),
            ),
        ]
    )


def filtered(text: tantivy.Query, conditions: list[tantivy.Query]) -> tantivy.Query:
    """``text`` where every condition holds; the conditions score nothing."""
    if not conditions:
        return text
    return Q.boolean_query(
        [
            (Occur.Must, text),
            *((Occur.Must, Q.const_score_query(condition, 0.0)) for condition in conditions),
        ]
    )


# --- the generation --------------------------------------------------------


class Generation:
    """One pair of Tantivy indexes (current and history) in one directory."""

    engine = "tantivy"

    def __init__(self, path: Path):
        from search_index.store import SearchIndexError

        self.path = path
        self.name = path.name
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        try:
            self.indexes = {name: open_index(path / name) for name in NAMES}
        except Exception as error:
            raise SearchIndexError(f"cannot open the index at {path}: {error}") from error

    @contextmanager
    def writers(self, timeout: float = 10.0, rebuilding: bool = False, **_options):
        """Writers on both indexes, committed together only when nothing failed.

        Tantivy allows one writer per index (in any process); a busy index is
        waited for up to ``timeout`` seconds, then IndexBusy. ``rebuilding``
        gives them the memory of a bulk load (fewer, larger segments)."""
        from search_index.store import IndexBusy

        self._check_files()
        opened: dict[str, _Writer] = {}
        deadline = time.monotonic() + timeout
        try:
            for name in NAMES:
                while True:
                    try:
                        # One indexing thread keeps up with the Python analysis;
                        # two measured slower on 2 cores (they compete with it).
                        opened[name] = _Writer(
                            self.indexes[name].writer(
                                heap_size=REBUILD_HEAP_BYTES if rebuilding else HEAP_BYTES,
                                num_threads=1,
                            )
                        )
                        break
                    except ValueError as error:
                        if "LockBusy" not in str(error) or time.monotonic() > deadline:
                            raise IndexBusy(str(error)) from error
                        time.sleep(0.05)
        except BaseException:
            for writer in opened.values():
                writer.close(commit=False)
            raise
        try:
            yield opened
        except BaseException:
            for writer in opened.values():
                writer.close(commit=False)
            raise
        # History first: a crash between the two commits is replayed from the
        # outbox, and the current index never runs ahead of its history.
        try:
            for name in ("history", "current"):
                opened[name].close(commit=True)
        finally:
            for writer in opened.values():
                writer.close(commit=False)
        for name in NAMES:
            self.indexes[name].reload()

    def _check_files(self) -> None:
        """Refuse to write over a damaged index: a commit would bury the damage
        under a fresh table of contents."""
        from search_index.store import SearchIndexError

        for name in NAMES:
            folder = self.path / name
            try:
                marker = (folder / "ENGINE").read_text().strip()
                json.loads((folder / "meta.json").read_text())
            except (OSError, ValueError) as error:
                raise SearchIndexError(f"the index at {folder} is damaged: {error}") from error
            if marker != MARKER:
                raise SearchIndexError(f"the index at {folder} is damaged")

    def searcher(self, name: str) -> tantivy.Searcher:
        """A searcher on the latest commit, from this process or another one."""
        index = self.indexes[name]
        try:
            stamp = (self.path / name / "meta.json").stat().st_mtime_ns
        except FileNotFoundError:
            stamp = 0
        if self._seen.get(name) != stamp:
            with self._lock:
                index.reload()
                self._seen[name] = stamp
        return index.searcher()

    def stored(self, name: str) -> dict[str, int]:
        """Every key in index ``name`` with its version."""
        searcher = self.searcher(name)
        count = searcher.num_docs
        if not count:
            return {}
        hits = searcher.search(Q.all_query(), limit=count, count=False).hits
        addresses = [address for _score, address in hits]
        versions = searcher.fast_field_values("version", addresses)
        return {
            searcher.doc(address)["key"][0]: int(version or 0)
            for address, version in zip(addresses, versions, strict=True)
        }

    def versions_of(self, name: str, keys: list[str]) -> dict[str, int]:
        """The indexed version of each of ``keys`` found in index ``name``."""
        searcher = self.searcher(name)
        out: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            wanted = keys[start : start + 500]
            query = Q.term_set_query(SCHEMA, "key", wanted)
            hits = searcher.search(query, limit=2 * len(wanted), count=False).hits
            addresses = [address for _score, address in hits]
            versions = searcher.fast_field_values("version", addresses) if addresses else []
            for address, version in zip(addresses, versions, strict=True):
                out[searcher.doc(address)["key"][0]] = int(version or 0)
        return out

    def sample_keys(self, name: str, count: int, seed: int) -> list[str]:
        """About ``count`` keys of index ``name``, from a run starting at a
        place chosen by ``seed``."""
        searcher = self.searcher(name)
        total = searcher.num_docs
        if not total:
            return []
        start = seed % max(1, total - count) if total > count else 0
        hits = searcher.search(Q.all_query(), limit=count, offset=start, count=False).hits
        return [searcher.doc(address)["key"][0] for _score, address in hits]

    def optimize(self) -> None:
        """Let Tantivy finish the merges its merge policy asks for, here and
        now: for a generation not yet live (after a rebuild), so that the
        saves on the live one never start merges of the big segments a bulk
        load leaves (the bindings offer no merge policy to forbid them)."""
        for name in NAMES:
            writer = self.indexes[name].writer(heap_size=HEAP_BYTES, num_threads=1)
            writer.commit()  # an empty commit: it asks the merge policy
            writer.wait_merging_threads()
            self.indexes[name].reload()

    def close(self) -> None:
        self._seen.clear()

    def doc_counts(self) -> dict:
        return {name: self.searcher(name).num_docs for name in NAMES}


class _Writer:
    """The facade's writer calls, on a Tantivy IndexWriter."""

    def __init__(self, writer: tantivy.IndexWriter):
        self._writer = writer
        self._closed = False

    def update_document(self, **doc) -> None:
        # A delete applies to what was added before it, so the new document stays.
        self._writer.delete_documents_by_term("key", doc["key"])
        self._writer.add_document(to_document(doc))

    def add_document(self, **doc) -> None:
        self._writer.add_document(to_document(doc))

    def add_analysed(self, analysed: Analysed, replace: bool = False) -> None:
        """Add a document analysed elsewhere (:func:`analyse`, in another
        process); ``replace`` removes a copy of the same key first."""
        if replace:
            self._writer.delete_documents_by_term("key", analysed[0])
        self._writer.add_document(build(analysed))

    def delete_by_term(self, field_name: str, value: str) -> None:
        self._writer.delete_documents_by_term(field_name, value)

    def close(self, commit: bool) -> None:
        if self._closed:
            return
        self._closed = True
        writer = self._writer
        if commit:
            writer.commit()
        else:
            writer.rollback()
        # Dropping the writer releases the index lock for the next one.
        writer.__exit__(None, None, None)


def open_index(path: Path) -> tantivy.Index:
    path.mkdir(parents=True, exist_ok=True)
    marker = path / "ENGINE"
    if (path / "meta.json").exists():
        if not marker.exists() or marker.read_text().strip() != MARKER:
            raise ValueError("written by another engine or an older portal")
        index = tantivy.Index.open(str(path))
        if index.schema != SCHEMA:
            raise ValueError("the index has an older schema")
    else:
        if any(path.iterdir()) and not marker.exists():
            raise ValueError("written by another engine")
        index = tantivy.Index(SCHEMA, path=str(path), reuse=False)
        marker.write_text(MARKER)
    # Opening is not enough: read every segment once.
    searcher = index.searcher()
    searcher.search(Q.all_query(), limit=1, count=True)
    if searcher.num_docs:
        for _score, address in searcher.search(Q.all_query(), limit=1).hits:
            searcher.doc(address)
    return index


#: Threads that count facets beside the search (see :func:`run`).
_FACETS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search-facets")


def run(
    generation: Generation,
    name: str,
    parsed: wq.Query,
    conditions: list[wq.Query],
    moment: datetime | None,
    *,
    by_date: bool,
    offset: int,
    limit: int,
    facets: tuple[str, ...],
) -> tuple[int, dict, list[tuple[str, int, float | None]]]:
    """Total, facet counts and one page of ``(key, version, score)``."""
    restrictions = [translate(condition) for condition in conditions]
    if moment is not None:
        restrictions.append(as_of(moment))
    query = filtered(translate(parsed), restrictions)
    searcher = generation.searcher(name)
    aggregations = {facet: {"terms": {"field": facet, "size": 65_000}} for facet in facets}
    # The facet counts and the page are two passes over the same matches;
    # the bindings release the GIL in Rust, so they run side by side (on a
    # query matching most of a million records, the counts cost the most).
    counting = _FACETS.submit(searcher.aggregate, query, aggregations) if facets else None
    if by_date:
        found = searcher.search(
            query,
            limit=limit,
            offset=offset,
            count=True,
            order_by_field="updated",
            order=tantivy.Order.Desc,
        )
    else:
        found = searcher.search(query, limit=limit, offset=offset, count=True)
    counted = counting.result() if counting is not None else {}
    counts = {
        facet: sorted(
            (
                (bucket["key"], bucket["doc_count"])
                for bucket in counted.get(facet, {}).get("buckets", ())
                if bucket["key"]
            ),
            key=lambda item: (-item[1], item[0]),
        )
        for facet in facets
    }
    addresses = [address for _order, address in found.hits]
    versions = searcher.fast_field_values("version", addresses) if addresses else []
    page = [
        (searcher.doc(address)["key"][0], int(version or 0), None if by_date else float(order))
        for (order, address), version in zip(found.hits, versions, strict=True)
    ]
    # The bindings' type stubs lack ``count`` (set with count=True).
    return found.count, counts, page  # type: ignore[attr-defined]
