"""Searching: what a user asks, what they may see, what comes back.

Every search goes through :func:`search`, which adds the viewer's filter
(department scoping, certificates and history for the roles that may see
them) before Whoosh runs the query. Results carry keys only; the caller
loads what it shows from the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from whoosh import fields, sorting
from whoosh import query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector, WrappingCollector
from whoosh.qparser import MultifieldParser, plugins
from whoosh.qparser.syntax import AndGroup
from whoosh.util.times import datetime_to_long

from records.access import SEE_ALL, SEE_CONFIDENTIAL, Actor
from records.i18n import N_
from records.roles import STAFF
from search_index.schema import CERTIFICATE_TYPE, QUERY_FIELDS, make_schema
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
        return not (self.text.strip() or self.types or self.states or self.departments
                    or self.severities or self.date_from or self.date_to)


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
    return actor.has_role(*SEE_ALL)


def may_search(actor: Actor) -> bool:
    return actor.has_role(*SEE_ALL, STAFF)


def visibility(actor: Actor) -> wq.Query | None:
    """What ``actor`` may find; None = everything. Raises if nothing."""
    if actor.has_role(*SEE_ALL):
        return None
    if actor.has_role(STAFF):
        mine = [wq.Term("created_by", actor.username)]
        if actor.department:
            mine.append(wq.Term("department", actor.department))
        return wq.And([wq.Or(mine), wq.Not(wq.Term("type", CERTIFICATE_TYPE))])
    raise QueryError(N_("You may not search records."))


_SCHEMA = make_schema()


def _parser(confidential: bool) -> MultifieldParser:
    names = [*QUERY_FIELDS, *(("private",) if confidential else ())]
    # The parser knows only the fields a user may name; others become text.
    schema = fields.Schema(**{name: _SCHEMA[name] for name in names})
    text_fields = ["title", "body", *(("private",) if confidential else ())]
    parser = MultifieldParser(text_fields, schema, group=AndGroup,
                              fieldboosts={"title": 2.0})
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
        raise QueryError(N_("The query is too long (at most %(max)d characters)."),
                         max=MAX_QUERY_CHARS)
    try:
        parsed = _PARSERS[confidential].parse(text)
    except Exception as error:  # noqa: BLE001 - any parser failure is the user's query
        raise QueryError(N_("The query could not be understood.")) from error
    parsed = parsed.normalize()
    if parsed is wq.NullQuery:
        return None
    if len(list(parsed.all_terms())) > MAX_TERMS:
        raise QueryError(N_("The query has too many words (at most %(max)d)."), max=MAX_TERMS)
    return parsed


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def filters(search: Search) -> list[wq.Query]:
    out: list[wq.Query] = []
    for name, values in (("type", search.types), ("state", search.states),
                         ("department", search.departments),
                         ("severity", search.severities)):
        if values:
            out.append(wq.Or([wq.Term(name, value) for value in values]))
    if search.date_from or search.date_to:
        if search.date_from and search.date_to and search.date_from > search.date_to:
            raise QueryError(N_("The start date is after the end date."))
        start = _day_start(search.date_from) if search.date_from else None
        end = _day_start(search.date_to + timedelta(days=1)) if search.date_to else None
        out.append(wq.DateRange("created", start, end, endexcl=True))
    return out


class ValidAt(WrappingCollector):
    """Keeps the versions in force at ``moment``: valid_from <= moment < valid_to,
    read from the columns for each match (filtering in ``matches()`` so an
    outer time-limit collector honours it too)."""

    def __init__(self, child, moment: datetime):
        super().__init__(child)
        self.moment = datetime_to_long(moment)

    def set_subsearcher(self, subsearcher, offset: int) -> None:
        super().set_subsearcher(subsearcher, offset)
        reader = subsearcher.reader()
        self._from = reader.column_reader("valid_from", translate=False)
        self._to = reader.column_reader("valid_to", translate=False)

    def matches(self):
        moment, starts, ends = self.moment, self._from, self._to
        for sub_docnum in self.child.matches():
            if starts[sub_docnum] <= moment < ends[sub_docnum]:
                yield sub_docnum

    def collect_matches(self) -> None:
        collect = self.child.collect
        for sub_docnum in self.matches():
            collect(sub_docnum)


def search(store: IndexStore, actor: Actor, request: Search,
           time_limit: float | None = None) -> Results:
    """Run ``request`` for ``actor``: only what they may see, counted and faceted.

    With ``time_limit`` (seconds), collecting stops when it runs out: the hits
    found so far are returned, with ``complete`` False and the counts as
    lower bounds (a query matching most of a million records would otherwise
    take seconds in pure Python)."""
    if not may_search(actor):
        raise QueryError(N_("You may not search records."))
    if (request.history or request.as_of) and not may_search_history(actor):
        raise QueryError(N_("Only auditors, controllers and approvers search past versions."))
    if request.sort not in SORTS:
        raise QueryError(N_("Unknown sort order."))
    confidential = actor.has_role(*SEE_CONFIDENTIAL)
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
    sortedby = None
    if request.sort == "date" or isinstance(parsed, wq.Every):
        sortedby = sorting.FieldFacet("updated", reverse=True)
    groupedby = {name: sorting.FieldFacet(name, maptype=sorting.Count) for name in FACETS}
    name = "history" if request.history or request.as_of else "current"
    terms = frozenset(
        text.decode("utf-8") if isinstance(text, bytes) else str(text)
        for fieldname, text in parsed.all_terms()
        if fieldname in ("title", "body", "private"))
    results = Results(request, terms=terms)
    with store.live().searcher(name) as searcher:
        query = wq.And([parsed, restrict]) if restrict is not None else parsed
        collector = searcher.collector(limit=page * per_page, sortedby=sortedby,
                                       groupedby=groupedby)
        if request.as_of:
            collector = ValidAt(collector, request.as_of)
        if time_limit:
            collector = TimeLimitCollector(collector, timelimit=time_limit, use_alarm=False)
        try:
            searcher.search_with_collector(query, collector)
        except TimeLimit:
            results.complete = False
        found = collector.results()
        results.total = len(found) if found.has_exact_length() else \
            found.estimated_min_length()
        for hit in found[(page - 1) * per_page: page * per_page]:
            stored = hit.fields()
            key = stored["key"]
            results.hits.append(Hit(key=key, number=key.split("@")[0],
                                    version=stored.get("version") or 0,
                                    score=hit.score))
        for facet in FACETS:
            counts = found.groups(facet)
            results.facets[facet] = sorted(
                ((value, count) for value, count in counts.items() if value),
                key=lambda item: (-item[1], item[0]))
    return results
