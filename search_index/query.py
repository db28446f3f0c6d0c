"""Searching: what a user asks, what they may see, what comes back.

Every search goes through :func:`search`, which parses what the user typed
with Whoosh's parser (whichever engine runs it), adds the viewer's filter
(department scoping, certificates and history for the roles that may see
them) and hands both to the live generation's engine: Tantivy
(:mod:`search_index.tantivy_engine`) or Whoosh (below). Results carry keys
only; the caller loads what it shows from the database.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic

from whoosh import fields
from whoosh import query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.qparser import QueryParser, plugins
from whoosh.qparser.syntax import AndGroup
from whoosh.util.times import datetime_to_long

from records.access import Actor
from records.clock import from_local
from records.i18n import N_
from records.permissions import ALL, READ_CONFIDENTIAL, READ_RECORDS, SEARCH_HISTORY, scope
from search_index.analysis import NUMBER, normalize, query_grams
from search_index.schema import CERTIFICATE_TYPE, GRAMS, QUERY_FIELDS, make_schema
from search_index.store import IndexStore

MAX_QUERY_CHARS = 500
MAX_TERMS = 40
MAX_PER_PAGE = 100
FACETS = ("type", "state", "department", "severity")
SORTS = ("relevance", "date")


class QueryError(ValueError):
    """The query cannot be run; ``message`` is an N_() msgid for the user."""

    def __init__(self, message: str, **params):
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Search:
    """One search, as a user asks it (the page and the API share it)."""

    text: str = ""
    types: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    history: bool = False
    as_of: datetime | None = None

    def is_empty(self) -> bool:
        return not (
            self.text.strip()
            or self.types
            or self.states
            or self.departments
            or self.severities
            or self.date_from
            or self.date_to
        )


@dataclass
class Hit:
    key: str
    number: str
    version: int
    score: float | None


@dataclass
class Results:
    search: Search
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: The words to mark in snippets.
    terms: frozenset[str] = frozenset()
    #: False when the time limit stopped counting: ``total`` and the facet
    #: counts are then lower bounds ("at least").
    complete: bool = True

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.search.per_page))


def may_search_history(actor: Actor) -> bool:
    return actor.may(SEARCH_HISTORY)


def may_search(actor: Actor) -> bool:
    return actor.may(READ_RECORDS)


def visibility(actor: Actor) -> wq.Query | None:
    """What ``actor`` may find; None = everything. Raises if nothing."""
    if actor.sees_everything():
        return None
    if actor.may(READ_RECORDS):
        mine = [wq.Term("people", actor.username)]
        if actor.department:
            mine.append(wq.Term("department", actor.department))
        return wq.And([wq.Or(mine), wq.Not(wq.Term("type", CERTIFICATE_TYPE))])
    raise QueryError(N_("You may not search records."))


_SCHEMA = make_schema()

#: How much a match of bigrams only weighs against a match of the words:
#: less, so records holding the word rank above those holding its characters.
GRAM_WEIGHT = 0.3
#: A record's own number typed as the query puts that record first.
NUMBER_BOOST = 20.0
TEXT_FIELDS = ("title", "body", "private")


class _Parser(QueryParser):
    """Whoosh's parser, with each typed word also searched as what it means
    beyond its segmented words: Chinese bigrams, a record number."""

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        query = super().term_query(
            fieldname, text, termclass, boost=boost, tokenize=tokenize, removestops=removestops
        )
        if not tokenize or fieldname not in TEXT_FIELDS:
            return query
        alternatives = [query] if query is not None else []
        # "grams" holds the title's bigrams and the body's: asked once, from the body.
        grams = query_grams(text) if fieldname != "title" else []
        if grams:
            weight = boost * GRAM_WEIGHT
            alternatives.append(
                wq.Term(GRAMS[fieldname], grams[0], boost=weight)
                if len(grams) == 1
                else wq.Phrase(GRAMS[fieldname], grams, boost=weight)
            )
        if fieldname == "body":
            typed = normalize(text.strip()).lower()
            if NUMBER.match(typed) and typed.count("-") >= 3:
                alternatives.append(wq.Term("number", typed, boost=NUMBER_BOOST))
        if len(alternatives) <= 1:
            return query
        return wq.Or(alternatives)


def _typed_as_one_run(phrase: wq.Phrase) -> bool:
    """Whether the words of a quoted phrase were typed touching (one run of
    characters, "空调漏水"), not apart ("空调 漏水")."""
    ranges = getattr(phrase, "char_ranges", None)
    if not ranges or len(ranges) != len(phrase.words):
        return False
    return all(end == start for (_s, end), (start, _e) in zip(ranges, ranges[1:], strict=False))


def _with_grams(query: wq.Query) -> wq.Query:
    """A quoted Chinese phrase is also found by its bigrams in order."""
    if isinstance(query, wq.Phrase) and query.fieldname in ("body", "private"):
        grams = query_grams("".join(str(word) for word in query.words))
        if len(grams) > 1:
            in_order = wq.Phrase(GRAMS[query.fieldname], grams, boost=query.boost * GRAM_WEIGHT)
            if _typed_as_one_run(query):
                # Characters typed in one run mean those characters in that
                # order: the texts holding them are the bigrams' matches, and
                # holding the words too only ranks a text higher. Matching the
                # words only where the bigrams matched spares the word phrase
                # its costly pass over common words (a third of the time at 1M).
                return wq.AndMaybe(in_order, query)
            return wq.Or([query, in_order])
        return query
    if isinstance(query, wq.BinaryQuery):
        return query.__class__(_with_grams(query.a), _with_grams(query.b))
    if isinstance(query, wq.CompoundQuery):
        return query.__class__([_with_grams(sub) for sub in query.subqueries], boost=query.boost)
    if isinstance(query, wq.Not):
        return wq.Not(_with_grams(query.query), boost=query.boost)
    return query


def word_terms(query: wq.Query) -> list[tuple[str, str]]:
    """The terms of the words typed (not their bigrams or numbers)."""
    return [(fieldname, text) for fieldname, text in query.all_terms() if fieldname in TEXT_FIELDS]


def _parser(confidential: bool) -> QueryParser:
    names = [*QUERY_FIELDS, *(("private",) if confidential else ())]
    # The parser knows only the fields a user may name; others become text.
    schema = fields.Schema(**{name: _SCHEMA[name] for name in names})
    text_fields = ["title", "body", *(("private",) if confidential else ())]
    parser = _Parser(None, schema, group=AndGroup)
    parser.add_plugin(plugins.MultifieldPlugin(text_fields, fieldboosts={"title": 2.0}))
    for unwanted in (plugins.WildcardPlugin, plugins.RangePlugin, plugins.EveryPlugin):
        parser.remove_plugin_class(unwanted)
    return parser


_PARSERS = {True: _parser(True), False: _parser(False)}


def parse(text: str, *, confidential: bool) -> wq.Query | None:
    """The Whoosh query of what the user typed; None when nothing is left."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            N_("The query is too long (at most %(max)d characters)."), max=MAX_QUERY_CHARS
        )
    try:
        parsed = _PARSERS[confidential].parse(text)
    except Exception as error:  # noqa: BLE001 - any parser failure is the user's query
        raise QueryError(N_("The query could not be understood.")) from error
    parsed = parsed.normalize()
    if parsed is wq.NullQuery:
        return None
    if len(word_terms(parsed)) > MAX_TERMS:
        raise QueryError(N_("The query has too many words (at most %(max)d)."), max=MAX_TERMS)
    return _with_grams(parsed)


def _day_start(day: date) -> datetime:
    """Where the organisation's local ``day`` begins, as stored (UTC): a
    record made at 00:30 in Shanghai belongs to that day, not the one before."""
    return from_local(datetime.combine(day, time.min))


def filters(search: Search) -> list[wq.Query]:
    out: list[wq.Query] = []
    for name, values in (
        ("type", search.types),
        ("state", search.states),
        ("department", search.departments),
        ("severity", search.severities),
    ):
        if values:
            out.append(wq.Or([wq.Term(name, value) for value in values]))
    if search.date_from or search.date_to:
        if search.date_from and search.date_to and search.date_from > search.date_to:
            raise QueryError(N_("The start date is after the end date."))
        start = _day_start(search.date_from) if search.date_from else None
        end = _day_start(search.date_to + timedelta(days=1)) if search.date_to else None
        out.append(wq.DateRange("created", start, end, endexcl=True))
    return out


class Columns:
    """Column values of each index segment, read once while the segment lives.

    Facet counts, date order and as-of checks then cost a list lookup per
    matching document instead of Whoosh's per-document column readers (ten
    times faster, measured)."""

    FIELDS = (*FACETS, "updated", "valid_from", "valid_to")

    def __init__(self):
        self._cache: dict[tuple[str, str], list] = {}
        self._segments: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def values(self, reader, field_name: str) -> list:
        segment = reader.segment()
        key = (segment.segment_id() if segment else str(id(reader)), field_name)
        # Segment ids are random and unique across both indexes.
        cached = self._cache.get(key)
        if cached is None:
            if not reader.has_column(field_name):
                cached = [None] * reader.doc_count_all()
            elif field_name in FACETS:
                shared: dict[str, str] = {}  # one string object per distinct value
                cached = [
                    shared.setdefault(value, value)
                    for value in reader.column_reader(field_name, translate=True)
                ]
            else:
                cached = list(reader.column_reader(field_name, translate=False))
            with self._lock:
                self._cache[key] = cached
        return cached

    def keep_only(self, index_name: str, readers) -> None:
        """Forget the segments of ``index_name`` a refreshed searcher no longer has."""
        alive = {r.segment().segment_id() for r in readers if r.segment()}
        with self._lock:
            before = self._segments.get(index_name, set())
            for key in [k for k in self._cache if k[0] in before - alive]:
                del self._cache[key]
            self._segments[index_name] = alive


COLUMNS = Columns()


def _matching(searcher, query, as_of: datetime | None, deadline: float | None):
    """Per segment: (reader, offset, matching sub-docnums); stops at the deadline."""
    moment = datetime_to_long(as_of) if as_of else None
    complete = True
    out = []
    context = searcher.boolean_context()
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        matcher = query.matcher(subsearcher, context)
        ids: list[int] = []
        if matcher.is_active():
            if deadline is None:
                ids = list(matcher.all_ids())
            else:
                for count, docnum in enumerate(matcher.all_ids()):
                    ids.append(docnum)
                    if count & 255 == 255 and monotonic() > deadline:
                        complete = False
                        break
        if moment is not None and ids:
            starts = COLUMNS.values(reader, "valid_from")
            ends = COLUMNS.values(reader, "valid_to")
            ids = [d for d in ids if starts[d] is not None and starts[d] <= moment < ends[d]]
        out.append((reader, offset, ids))
        if not complete:
            break
    return out, complete


def _check_allowed(actor: Actor, request: Search) -> None:
    """QueryError unless ``actor`` may run ``request`` as asked."""
    if not may_search(actor):
        raise QueryError(N_("You may not search records."))
    if (request.history or request.as_of) and not may_search_history(actor):
        raise QueryError(N_("Only auditors, controllers and approvers search past versions."))
    if request.sort not in SORTS:
        raise QueryError(N_("Unknown sort order."))


def search(
    store: IndexStore, actor: Actor, request: Search, time_limit: float | None = None
) -> Results:
    """Run ``request`` for ``actor``: only what they may see, counted and faceted.

    With ``time_limit`` (seconds), Whoosh stops collecting when it runs out:
    the hits found so far are returned, with ``complete`` False and the
    counts as lower bounds (a query matching most of a million records would
    otherwise take seconds in pure Python). Tantivy ignores it: its query
    runs whole in Rust, where it cannot be stopped, and is always complete."""
    _check_allowed(actor, request)
    # Only those who read every record's confidential fields search them.
    confidential = scope(actor, READ_CONFIDENTIAL) == ALL
    parsed = parse(request.text, confidential=confidential)
    if parsed is None and request.text.strip():
        return Results(request)  # only punctuation or stop words
    if parsed is None and request.is_empty() and not request.as_of:
        return Results(request)
    conditions = filters(request)
    seen = visibility(actor)
    if seen is not None:
        conditions.append(seen)
    if parsed is None:
        parsed = wq.Every()
    restrict = wq.And(conditions) if conditions else None
    page = max(1, request.page)
    per_page = max(1, min(MAX_PER_PAGE, request.per_page))
    wanted = page * per_page
    name = "history" if request.history or request.as_of else "current"
    terms = frozenset(
        text.decode("utf-8") if isinstance(text, bytes) else str(text)
        for fieldname, text in parsed.all_terms()
        if fieldname in ("title", "body", "private")
    )
    results = Results(request, terms=terms)
    deadline = monotonic() + time_limit if time_limit else None
    by_date = request.sort == "date" or isinstance(parsed, wq.Every)
    generation = store.live()
    if generation.engine == "tantivy":
        from search_index import tantivy_engine

        assert isinstance(generation, tantivy_engine.Generation)
        results.total, results.facets, page_hits = tantivy_engine.run(
            generation,
            name,
            parsed,
            conditions,
            request.as_of,
            by_date=by_date,
            offset=(page - 1) * per_page,
            limit=per_page,
            facets=FACETS,
        )
        results.hits = [
            Hit(key=key, number=key.split("@")[0], version=version, score=score)
            for key, version, score in page_hits
        ]
        return results
    with generation.searcher(name) as searcher:
        query = wq.And([parsed, restrict]) if restrict is not None else parsed
        COLUMNS.keep_only(
            f"{store.root}:{name}", [sub.reader() for sub, _offset in searcher.leaf_searchers()]
        )
        matching, results.complete = _matching(searcher, query, request.as_of, deadline)
        results.total = sum(len(ids) for _reader, _offset, ids in matching)
        for facet in FACETS:
            counts: Counter = Counter()
            for reader, _offset, ids in matching:
                counts.update(map(COLUMNS.values(reader, facet).__getitem__, ids))
            results.facets[facet] = sorted(
                ((value, count) for value, count in counts.items() if value),
                key=lambda item: (-item[1], item[0]),
            )
        if by_date:
            newest: list[tuple[object, int]] = []
            for reader, offset, ids in matching:
                updated = COLUMNS.values(reader, "updated")
                newest.extend(
                    (updated[d] or 0, offset + d)
                    for d in heapq.nlargest(wanted, ids, key=updated.__getitem__)
                )
            ranked = [(docnum, None) for _when, docnum in heapq.nlargest(wanted, newest)]
        else:
            allowed = None
            if request.as_of or not results.complete:
                allowed = {offset + d for _reader, offset, ids in matching for d in ids}
            if allowed is not None and not allowed:
                return results  # nothing left (Whoosh reads an empty filter as none)
            # Only the words score; the filters only filter, so rankings are
            # the same whoever asks.
            collector = searcher.collector(
                limit=wanted, filter=allowed if allowed is not None else restrict
            )
            if deadline is not None:
                # Scoring is the costly part; what is scored in time is ranked.
                collector = TimeLimitCollector(
                    collector, timelimit=max(0.005, deadline - monotonic()), use_alarm=False
                )
            try:
                searcher.search_with_collector(parsed, collector)
            except TimeLimit:
                results.complete = False
            ranked = [(hit.docnum, hit.score) for hit in collector.results()]
        for docnum, score in ranked[(page - 1) * per_page : wanted]:
            stored = searcher.stored_fields(docnum)
            key = stored["key"]
            results.hits.append(
                Hit(
                    key=key,
                    number=key.split("@")[0],
                    version=stored.get("version") or 0,
                    score=score,
                )
            )
    return results
