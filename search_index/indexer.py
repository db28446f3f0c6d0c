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
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from search_index.schema import certificate_document, document
from search_index.store import (
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
        records = {r["number"]: r for r in db.records.find({"number": {"$in": list(touched)}})}
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

    def check(self) -> dict:
        """Differences between the database and the live index.

        ``missing``: in the database, not in the index; ``extra``: in the
        index, no longer in the database; ``stale``: indexed at another
        version. ``pending`` counts outbox entries not yet applied."""
        db = self.db
        generation = self.store.live()
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
            "pending": db.search_outbox.count_documents(
                {"seq": {"$gt": read_position(generation.path)}}
            ),
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
        chunk: int = 1000,
        limit_mb: int = 256,
        procs: int = 1,
        optimize: bool = True,
    ) -> dict:
        """Rebuild both indexes from the database into a new generation.

        Searches keep using the live generation until the new one is
        complete. An interrupted rebuild resumes where it stopped. With
        ``procs`` > 1, Whoosh's multiprocessing writer analyses documents in
        that many processes."""
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
        query = {"_id": {"$gt": _oid(state["after"])}} if state["after"] else {}
        batch: list[dict] = []

        def flush():
            versions: dict = {}
            # The batch is a run of records in _id order: a range reads their
            # versions along the (record_id, version) index, where a list of
            # a thousand ids measured several times slower.
            wanted = {r["_id"] for r in batch}
            for version in db.record_versions.find(
                {"record_id": {"$gte": batch[0]["_id"], "$lte": batch[-1]["_id"]}}
            ):
                if version["record_id"] in wanted:
                    versions.setdefault(version["record_id"], []).append(version)
            options = {"limitmb": limit_mb}
            if procs > 1:
                # One segment per process and chunk; merging them at every
                # commit would cost more than the parallel analysis gains.
                options.update(procs=procs, multisegment=True)
            texts = _attachment_texts(db, batch)
            with generation.writers(**options) as writers:
                # The new generation holds nothing after the last committed
                # chunk (a resumed rebuild starts behind it): adding is enough.
                for record in batch:
                    text = texts.get(record["_id"])
                    writers["current"].add_document(**document(record, attachment_text=text))
                    own = sorted(versions.get(record["_id"], ()), key=lambda v: v["version"])
                    for doc in history_documents(record, own, text):
                        writers["history"].add_document(**doc)
            state["after"] = str(batch[-1]["_id"])
            state["done"] += len(batch)
            self.store.save_progress(path, state)
            if progress:
                progress(state["done"], total)
            batch.clear()

        for record in db.records.find(query).sort("_id", 1):
            batch.append(record)
            if len(batch) >= chunk:
                flush()
        if batch:
            flush()
        if not state.get("certificates"):
            with generation.writers() as writers:
                for certificate in db.disposal_certificates.find():
                    writers["current"].update_document(**certificate_document(certificate))
            state["certificates"] = True
            self.store.save_progress(path, state)
        if optimize:
            # One segment per index: rare words and phrases are found several
            # times faster, and small commits then have nothing big to merge
            # (slow: measured 24 min for 100k records with 300k versions).
            generation.optimize()
        generation.close()
        # Switch, then apply what was saved since the rebuild started (a
        # running portal on this index does the same from the same place).
        self.store.switch_to(path)
        replayed = self._with_retries(lambda: self.drain(self.store.live()))
        return {"records": state["done"], "generation": path.name, "replayed": replayed}

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
