"""Keeping the index in step with the database.

Every record operation writes an outbox entry in its transaction, numbered
in commit order. Each index folder (a node: one per machine, shared by the
processes there) keeps the number it has applied up to, in its own
generation: the indexer reads the entries after it in batches, rewrites the
touched records in both indexes with one writer each, commits, and only then
moves its place on. A crash before that replays them; writing a record is
idempotent (documents are replaced by key), so replaying is harmless.

Nodes register their place in ``search_nodes``; the outbox is purged only
behind the slowest node seen lately, and a node that finds entries it needed
purged rebuilds.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta

from search_index.schema import certificate_document, document
from search_index.store import (
    NAMES,
    Generation,
    IndexBusy,
    IndexStore,
    SearchIndexError,
    read_position,
    write_position,
)

log = logging.getLogger(__name__)

#: A node not seen for this long no longer holds the outbox back.
NODE_TIMEOUT = timedelta(days=7)
#: How often a node tells the others where it is, when nothing changes.
REGISTER_EVERY = timedelta(seconds=30)
PURGED = "search_outbox_purged"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _default_db():
    from records.models import Record

    return Record._get_db()


def history_documents(
    record: dict, versions: list[dict], attachment_text: dict | None = None
) -> Iterable[dict]:
    """The history documents of ``versions`` (sorted by version number)."""
    for position, version in enumerate(versions):
        following = versions[position + 1] if position + 1 < len(versions) else None
        yield document(
            record,
            version,
            valid_to=following["changed_at"] if following else None,
            attachment_text=attachment_text,
        )


def _attachment_texts(db, records: list[dict]) -> dict:
    """The text read from the attachments of ``records``, by record id."""
    from records.extraction import texts_for_index

    with_files = [r["_id"] for r in records if r.get("attachments")]
    return texts_for_index(db, with_files) if with_files else {}


def write_record(
    writers: dict, db, number: str, record: dict | None, from_version: int = 1
) -> None:
    """Rewrite one record in both indexes (or remove it, if it is gone)."""
    current, history = writers["current"], writers["history"]
    if record is None:
        history.delete_by_term("number", number.lower())
        certificate = db.disposal_certificates.find_one({"number": number})
        if certificate:
            current.update_document(**certificate_document(certificate))
        else:
            current.delete_by_term("key", number)
        return
    texts = _attachment_texts(db, [record]).get(record["_id"])
    current.update_document(**document(record, attachment_text=texts))
    # The version before the first changed one gets its valid_to updated.
    start = max(1, from_version - 1)
    versions = list(
        db.record_versions.find({"record_id": record["_id"], "version": {"$gte": start}}).sort(
            "version", 1
        )
    )
    for doc in history_documents(record, versions, texts):
        history.update_document(**doc)


#: Up to this many records, `portal check` compares every key; above, it
#: compares counts, the latest changes and samples (a full comparison of a
#: million records and their versions takes minutes and gigabytes).
FULL_CHECK_RECORDS = 20_000
#: How many records, versions and index keys a sampled check looks at (each).
CHECK_SAMPLE = 2000
#: Records read (and their versions with them) per database query.
READ_BATCH = 250


#: The key of a rebuild's record that holds its attachments' text.
ATTACHMENT_TEXTS = "_attachment_texts"


def default_procs(engine: str) -> int:
    """How many processes analyse a rebuild unless told. Tantivy on two
    cores: one (this process, the database read by a thread ahead) measured
    faster than two and 20 % cheaper, the processes' pickling costing more
    than they gain; with more cores the analysis, which holds the GIL, gets
    processes of its own (not measured on these machines). Whoosh, whose
    writing is Python too: one process a core, up to four."""
    cpus = os.cpu_count() or 1
    if engine == "tantivy":
        return 1 if cpus <= 2 else min(4, cpus - 1)
    return min(4, cpus)


def read_batches(db, after=None, size: int = READ_BATCH) -> Iterator[list[tuple[dict, list[dict]]]]:
    """The records after ``_id`` ``after`` (all, if None) in ``_id`` order,
    in batches of ``(record, its versions sorted by number)``.

    Two cursors are read side by side, the records by ``_id`` and the
    versions along their ``(record_id, version)`` index, and joined as they
    come: no query per batch (a range query per batch of versions cost the
    embedded server 40 % more than the one cursor). Whole documents: the
    embedded server spends more on a projection (~60 µs a document) than
    the driver spends decoding what a projection would leave out."""
    records = db.records.find({"_id": {"$gt": after}} if after else {}).sort("_id", 1)
    versions = db.record_versions.find({"record_id": {"$gt": after}} if after else {}).sort(
        [("record_id", 1), ("version", 1)]
    )
    records.batch_size(size)
    versions.batch_size(4 * size)
    version = next(versions, None)
    batch: list[tuple[dict, list[dict]]] = []
    for record in records:
        own = []
        # Versions of a record no longer there (or saved after this cursor
        # passed it: the rebuild replays those changes) are skipped.
        while version is not None and version["record_id"] <= record["_id"]:
            if version["record_id"] == record["_id"]:
                own.append(version)
            version = next(versions, None)
        batch.append((record, own))
        if len(batch) >= size:
            yield _with_attachment_texts(db, batch)
            batch = []
    if batch:
        yield _with_attachment_texts(db, batch)


def _with_attachment_texts(db, batch: list[tuple[dict, list[dict]]]) -> list:
    # What was read of the records' attachments travels with the record (to
    # the analysing processes too), under a key no stored record has.
    texts = _attachment_texts(db, [record for record, _versions in batch])
    for record, _versions in batch:
        record[ATTACHMENT_TEXTS] = texts.get(record["_id"])
    return batch


def read_ahead(items: Iterator, depth: int = 4) -> Generator:
    """``items``, produced by a thread up to ``depth`` ahead of the caller:
    while the caller works on one batch, the database serves the next (the
    driver waits on its socket without the GIL). An error in the thread is
    raised here; closing this generator stops the thread."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stopping = threading.Event()
    end = object()

    def offer(entry: tuple) -> bool:
        # Never blocks for good: a caller that stopped reading sets stopping.
        while not stopping.is_set():
            try:
                ready.put(entry, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer((item, None)):
                    return
            offer((end, None))
        except BaseException as error:  # handed to the caller, raised there
            offer((end, error))

    thread = threading.Thread(target=produce, name="index-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is end:
                return
            yield item
    finally:
        stopping.set()
        thread.join(timeout=5)


def _find_in(collection, field: str, values: list, projection: dict | None) -> Iterator[dict]:
    """``find({field: {"$in": values}})`` a couple of hundred values at a
    time: the embedded server measured 0.14 s for 200 and 9.3 s for 2,000."""
    for start in range(0, len(values), 200):
        yield from collection.find({field: {"$in": values[start : start + 200]}}, projection)


def _analyser_setup() -> None:
    """A spawned analysing process starts with no record types registered:
    without them a document would lose its type's titles and its split of
    confidential fields."""
    from records.forms import register_all

    register_all()


def _add_records(
    writers: dict, items: list[tuple[dict, list[dict]]], replace: bool = False
) -> None:
    """Add the documents of ``items``; ``replace`` removes any copy already
    there first (the chunk a resumed rebuild may have half written)."""
    for record, versions in items:
        text = record.get(ATTACHMENT_TEXTS)
        current = writers["current"]
        history = writers["history"]
        (current.update_document if replace else current.add_document)(
            **document(record, attachment_text=text)
        )
        for doc in history_documents(record, versions, text):
            (history.update_document if replace else history.add_document)(**doc)


class Indexer:
    """Applies the outbox to the live generation of ``store``."""

    def __init__(self, store: IndexStore, db=None, batch: int = 500):
        self.store = store
        self._db = db
        self.batch = batch
        self._registered: tuple[int, datetime] | None = None
        # The last failure of the background work, until a batch succeeds
        # again: ``{"error": "...", "at": datetime}`` (shown by /healthz).
        self.last_error: dict | None = None

    @property
    def db(self):
        return self._db if self._db is not None else _default_db()

    def position(self, generation: Generation | None = None) -> int:
        """The last outbox entry the live (or given) generation has applied."""
        return read_position((generation or self.store.live()).path)

    def known_position(self) -> int:
        """:meth:`position`, or the last one this process registered when the
        index folder cannot be read (a full disk, a folder gone)."""
        try:
            return self.position()
        except OSError:
            return self._registered[0] if self._registered else 0

    def apply_pending(self, generation: Generation | None = None) -> int:
        """Apply one batch of pending entries; the number applied (0 = none left)."""
        db = self.db
        generation = generation or self.store.live()
        position = read_position(generation.path)
        purged = (db.counters.find_one({"_id": PURGED}) or {}).get("seq", 0)
        if position < purged and generation is self.store.live():
            # Entries this index needed are gone: only a rebuild catches up.
            log.warning(
                "search index at %s is behind the purged outbox; rebuilding", self.store.root
            )
            self.store.needs_rebuild = True
            return 0
        entries = list(
            db.search_outbox.find({"seq": {"$gt": position}}).sort("seq", 1).limit(self.batch)
        )
        if entries:
            self._apply(generation, db, entries)
            position = entries[-1]["seq"]
            write_position(generation.path, position)
        self.register(position)
        return len(entries)

    def register(self, position: int, force: bool = False) -> None:
        """Tell the other nodes where this index is (now and then)."""
        now = _now()
        if (
            not force
            and self._registered
            and self._registered[0] == position
            and now - self._registered[1] < REGISTER_EVERY
        ):
            return
        self.db.search_nodes.update_one(
            {"_id": self.store.node_id},
            {
                "$set": {
                    "seq": position,
                    "seen_at": now,
                    "index_dir": str(self.store.root),
                    "engine": self.store.engine,
                }
            },
            upsert=True,
        )
        self._registered = (position, now)

    def _apply(self, generation: Generation, db, entries: list[dict]) -> None:
        touched: dict[str, int] = {}
        for entry in entries:
            number = entry["number"]
            version = entry.get("version") or 1
            touched[number] = min(touched.get(number, version), version)
        records = {r["number"]: r for r in _find_in(db.records, "number", list(touched), None)}
        with generation.writers() as writers:
            for number, from_version in touched.items():
                write_record(writers, db, number, records.get(number), from_version)

    def drain(self, generation: Generation | None = None) -> int:
        """Apply every pending entry; the number applied."""
        total = 0
        while applied := self.apply_pending(generation):
            total += applied
        return total

    def step(self) -> int:
        """One round of the background work: rebuild if needed, then one batch.

        A damaged index is set aside and rebuilt; the outbox keeps the work."""
        try:
            if self.store.needs_rebuild:
                self.rebuild()
            applied = self.apply_pending()
        except IndexBusy:
            return 0
        except Exception as error:
            log.exception("search indexer failed")
            self.last_error = {"error": f"{type(error).__name__}: {error}"[:300], "at": _now()}
            try:
                self.store.verify()
            except SearchIndexError:
                try:
                    self.store.recover()
                except Exception:  # a read-only or full disk: try again next round
                    log.exception("setting the damaged search index aside failed")
            except Exception:  # noqa: BLE001 - the folder itself is unusable
                log.exception("the search index folder cannot be opened")
            return 0
        self.last_error = None
        return applied

    def check(self, full: bool | None = None, sample: int = CHECK_SAMPLE) -> dict:
        """Differences between the database and the live index.

        ``missing``: in the database, not in the index; ``extra``: in the
        index, no longer in the database; ``stale``: indexed at another
        version. ``pending`` counts outbox entries not yet applied.

        Up to FULL_CHECK_RECORDS records (or with ``full``) every key and
        version is compared. Above, what it costs stays bounded: the numbers
        of documents in each index against the database's (``count``), every
        version saved lately and the records they belong to, ``sample``
        records from a random place in the database, and ``sample`` keys from
        a random place in each index (``sampled`` says how many were)."""
        db = self.db
        generation = self.store.live()
        pending = db.search_outbox.count_documents({"seq": {"$gt": read_position(generation.path)}})
        records = db.records.estimated_document_count()
        if full or (full is None and records <= FULL_CHECK_RECORDS):
            report = self._check_everything(db, generation)
        else:
            report = self._check_sampled(db, generation, records, sample)
        report["pending"] = pending
        return report

    @staticmethod
    def _check_everything(db, generation) -> dict:
        indexed = generation.stored("current")
        indexed_versions = set(generation.stored("history"))
        current = {
            r["number"]: r["version"] for r in db.records.find({}, {"number": 1, "version": 1})
        }
        for certificate in db.disposal_certificates.find({}, {"number": 1, "versions": 1}):
            current[certificate["number"]] = certificate.get("versions") or 0
        versions = {
            f"{v['number']}@{v['version']}"
            for v in db.record_versions.find({}, {"number": 1, "version": 1})
        }
        return {
            "current": {
                "missing": sorted(set(current) - set(indexed)),
                "extra": sorted(set(indexed) - set(current)),
                "stale": sorted(k for k in set(current) & set(indexed) if current[k] != indexed[k]),
            },
            "history": {
                "missing": sorted(versions - indexed_versions),
                "extra": sorted(indexed_versions - versions),
            },
        }

    @staticmethod
    def _check_sampled(db, generation, records: int, sample: int) -> dict:
        import random

        chance = random.SystemRandom()
        # The records of the versions saved last (the outbox's recent past,
        # where a crash would leave a gap), then a run of records from a
        # random place (ObjectIds start with their second: a random moment
        # between the first and the last record is a random place).
        recent = list(
            db.record_versions.find({}, {"number": 1, "version": 1, "_id": 0})
            .sort("changed_at", -1)
            .limit(sample)
        )
        numbers = dict.fromkeys(v["number"] for v in recent)
        first = db.records.find_one({}, {"_id": 1}, sort=[("_id", 1)])
        last = db.records.find_one({}, {"_id": 1}, sort=[("_id", -1)])
        if first and last:
            low, high = first["_id"].generation_time, last["_id"].generation_time
            moment = low + (high - low) * chance.random()
            start = type(first["_id"]).from_datetime(moment)
            for r in (
                db.records.find({"_id": {"$gte": start}}, {"number": 1})
                .sort("_id", 1)
                .limit(sample)
            ):
                numbers[r["number"]] = None
        wanted = list(numbers)
        current = {
            r["number"]: r["version"]
            for r in _find_in(db.records, "number", wanted, {"number": 1, "version": 1})
        }
        versions = {
            f"{v['number']}@{v['version']}"
            for v in _find_in(db.record_versions, "number", wanted, {"number": 1, "version": 1})
        }
        indexed = generation.versions_of("current", list(current))
        indexed_versions = set(generation.versions_of("history", sorted(versions)))
        # And the other way round: keys of the indexes, from random places,
        # must still be in the database.
        index_keys = generation.sample_keys("current", sample, chance.randrange(1 << 30))
        history_keys = generation.sample_keys("history", sample, chance.randrange(1 << 30))
        known = {r["number"] for r in _find_in(db.records, "number", index_keys, {"number": 1})} | {
            c["number"]
            for c in _find_in(db.disposal_certificates, "number", index_keys, {"number": 1})
        }
        known_versions = {
            f"{v['number']}@{v['version']}"
            for v in _find_in(
                db.record_versions,
                "number",
                sorted({k.split("@")[0] for k in history_keys}),
                {"number": 1, "version": 1},
            )
        }
        counts = generation.doc_counts()
        expected = {
            "current": records + db.disposal_certificates.estimated_document_count(),
            "history": db.record_versions.estimated_document_count(),
        }
        return {
            "current": {
                "missing": sorted(set(current) - set(indexed)),
                "extra": sorted(set(index_keys) - known),
                "stale": sorted(k for k in set(current) & set(indexed) if current[k] != indexed[k]),
            },
            "history": {
                "missing": sorted(versions - indexed_versions),
                "extra": sorted(set(history_keys) - known_versions),
            },
            "count": {
                name: f"{counts[name]} in the index, {expected[name]} in the database"
                for name in NAMES
                if counts[name] != expected[name]
            },
            "sampled": {
                "records": len(current),
                "versions": len(versions),
                "index_keys": len(index_keys) + len(history_keys),
            },
        }

    def purge_applied(self, keep: timedelta = timedelta(hours=1)) -> int:
        """Delete the entries every live node has applied (and older than ``keep``).

        Nodes not seen for NODE_TIMEOUT are left behind: they rebuild."""
        db = self.db
        now = _now()
        self.register(self.position(), force=True)
        live = [
            node["seq"]
            for node in db.search_nodes.find({"seen_at": {"$gte": now - NODE_TIMEOUT}}, {"seq": 1})
        ]
        if not live:
            return 0
        floor = min(live)
        newest_old = db.search_outbox.find_one(
            {"seq": {"$lte": floor}, "at": {"$lt": now - keep}}, sort=[("seq", -1)]
        )
        if newest_old is None:
            return 0
        upto = newest_old["seq"]
        db.counters.update_one({"_id": PURGED}, {"$max": {"seq": upto}}, upsert=True)
        result = db.search_outbox.delete_many({"seq": {"$lte": upto}})
        # Entries of an older portal, without a number, once they are old.
        db.search_outbox.delete_many({"seq": {"$exists": False}, "at": {"$lt": now - keep}})
        return result.deleted_count

    # --- rebuilding -------------------------------------------------------

    def rebuild(
        self,
        progress: Callable[[int, int], None] | None = None,
        chunk: int | None = None,
        limit_mb: int = 256,
        procs: int = 1,
        optimize: bool = True,
    ) -> dict:
        """Rebuild both indexes from the database into a new generation.

        Searches keep using the live generation until the new one is
        complete. An interrupted rebuild resumes after its last commit (one
        every ``chunk`` records). With ``procs`` > 1, that many processes
        analyse the documents (Tantivy: they feed this process's one writer
        per index; Whoosh: its multiprocessing writer)."""
        db = self.db
        found = self.store.building()
        if found:
            path, state = found
            state["started_at"] = datetime.fromisoformat(state["started_at"])
        else:
            # The rebuild reads the database after this entry was committed:
            # it holds every change up to it, and applies the ones after.
            last = db.search_outbox.find_one({"seq": {"$exists": True}}, sort=[("seq", -1)])
            state = {
                "started_at": _now(),
                "after": None,
                "done": 0,
                "from_seq": last["seq"] if last else 0,
            }
            path = self.store.start_building(state)
            write_position(path, state["from_seq"])
        generation = self.store.open_generation(path)
        total = (
            db.records.estimated_document_count()
            + db.disposal_certificates.estimated_document_count()
        )
        tantivy = generation.engine == "tantivy"
        if chunk is None:
            # Tantivy commits cost a segment flush each; Whoosh's writers
            # hold every document of a chunk in memory.
            chunk = 20_000 if tantivy else (5000 if procs > 1 else 1000)

        def committed(last_id, count: int) -> None:
            state["after"] = str(last_id)
            state["done"] += count
            self.store.save_progress(path, state)
            if progress:
                progress(state["done"], total)

        after = _oid(state["after"]) if state["after"] else None
        # Closed when done or failed: its thread stops reading.
        with closing(read_ahead(read_batches(db, after, size=min(READ_BATCH, chunk)))) as batches:
            # A rebuild stopped after committing one index of a chunk (history is
            # committed first), or both but before noting its progress, holds
            # part of the next chunk already: resumed, that chunk replaces.
            resumed = found is not None
            if tantivy:
                self._rebuild_tantivy(generation, batches, chunk, procs, committed, resumed)
            else:
                options = {"limitmb": limit_mb}
                if procs > 1:
                    # One segment per process and chunk; merging them at every
                    # commit would cost more than the parallel analysis gains.
                    options.update(procs=procs, multisegment=True)
                pending: list[tuple[dict, list[dict]]] = []

                def write(pending: list) -> None:
                    nonlocal resumed
                    # Whoosh's writer of several processes only adds: the chunk
                    # that replaces is written by one.
                    with generation.writers(**({"limitmb": limit_mb} if resumed else options)) as w:
                        _add_records(w, pending, replace=resumed)
                    committed(pending[-1][0]["_id"], len(pending))
                    resumed = False

                for batch in batches:
                    pending.extend(batch)
                    if len(pending) >= chunk:
                        write(pending)
                        pending = []
                if pending:
                    write(pending)
        if not state.get("certificates"):
            with generation.writers() as writers:
                for certificate in db.disposal_certificates.find():
                    writers["current"].update_document(**certificate_document(certificate))
            state["certificates"] = True
            self.store.save_progress(path, state)
        if optimize or tantivy:
            # Tantivy: the merges a bulk load calls for, done before the
            # switch, not on the save path. Whoosh: one segment per index:
            # rare words and phrases are found several times faster, and
            # small commits then have nothing big to merge (slow: measured
            # 24 min for 100k records with 300k versions).
            generation.optimize()
        generation.close()
        # Switch, then apply what was saved since the rebuild started (a
        # running portal on this index does the same from the same place).
        self.store.switch_to(path)
        replayed = self._with_retries(lambda: self.drain(self.store.live()))
        return {"records": state["done"], "generation": path.name, "replayed": replayed}

    @staticmethod
    def _rebuild_tantivy(
        generation, batches, chunk: int, procs: int, committed, resumed: bool = False
    ) -> None:
        """Analysis in ``procs`` processes (or here), one writer per index here.

        Documents are added without a delete each, except in the first chunk
        of a ``resumed`` rebuild: part of it may have been committed already."""
        from search_index import tantivy_engine

        pool = None
        analysed: Iterator[tuple[object, list]]
        # The pool reads ahead while this process adds (the database, the
        # analysing processes and Tantivy's writer thread overlap), but only
        # a few batches: its feeder would otherwise read the whole database
        # into memory.
        ahead = threading.Semaphore(4 * procs)
        stopping = threading.Event()

        def throttled():
            for batch in batches:
                while not ahead.acquire(timeout=0.2):
                    if stopping.is_set():
                        return
                if stopping.is_set():
                    return
                yield batch

        if procs > 1:
            # spawn, not fork: this process runs threads (the driver's, the
            # writer's), and a forked copy of their locks can hang.
            pool = multiprocessing.get_context("spawn").Pool(procs, initializer=_analyser_setup)
            analysed = pool.imap(tantivy_engine.analyse_records, throttled())
        else:
            # Here, while the database serves the next batches to the thread
            # reading ahead. (Analysing in a thread of its own beside this
            # one, to run while this one waits in Rust, measured the same.)
            analysed = map(tantivy_engine.analyse_records, batches)
        try:
            item = next(analysed, None)
            while item is not None:
                done = 0
                with generation.writers(rebuilding=True) as writers:
                    while item is not None and done < chunk:
                        last_id, items = item
                        for current, versions in items:
                            writers["current"].add_analysed(current, replace=resumed)
                            for version in versions:
                                writers["history"].add_analysed(version, replace=resumed)
                        done += len(items)
                        ahead.release()
                        item = next(analysed, None)
                committed(last_id, done)
                resumed = False
        finally:
            stopping.set()
            if pool is not None:
                pool.terminate()
                pool.join()

    @staticmethod
    def _with_retries(work, attempts: int = 6):
        for attempt in range(attempts):
            try:
                return work()
            except IndexBusy:
                if attempt == attempts - 1:
                    raise
        return None


def _oid(text: str):
    from bson import ObjectId

    return ObjectId(text)


class IndexerThread(threading.Thread):
    """Applies the outbox in the background of a portal process."""

    def __init__(self, indexer: Indexer, interval: float = 0.25):
        super().__init__(name="search-indexer", daemon=True)
        self.indexer = indexer
        self.interval = interval
        self.stopping = threading.Event()
        self.wake = threading.Event()

    def run(self) -> None:
        last_purge = _now()
        while not self.stopping.is_set():
            applied = self.indexer.step()
            if _now() - last_purge > timedelta(hours=1):
                try:
                    self.indexer.purge_applied()
                except Exception:  # noqa: BLE001 - purging can wait for the next hour
                    log.exception("purging the search outbox failed")
                last_purge = _now()
            if not applied:
                self.wake.wait(self.interval)
                self.wake.clear()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout)
