"""Where the indexes live on disk: generations, writers, long-lived searchers.

The index directory holds generations ``gen-000001``, ``gen-000002``... each
with a ``current`` and a ``history`` index of one engine (Tantivy by
default, Whoosh when chosen; an index of the other engine is rebuilt). ``LIVE`` names the one in
use; a rebuild fills the next generation while searches keep using the live
one, then switches ``LIVE`` in one rename. A generation that no longer opens
is moved aside and replaced by an empty one, flagged for a rebuild.
"""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import re
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from whoosh import index
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import LockError

from search_index.schema import make_schema

log = logging.getLogger(__name__)

NAMES = ("current", "history")
_GENERATION = re.compile(r"gen-(\d+)")


#: Incremental commits merge only segments this small, at most this many
#: documents at a time: a save must stay searchable within a second or two,
#: and Whoosh merges inside the commit, holding the write lock.
SMALL_SEGMENT_DOCS = 1000
MAX_MERGED_DOCS = 10_000


def merge_small(writer, segments):
    """A merge policy for frequent small commits: merge the smallest segments
    (once there are four or more) up to MAX_MERGED_DOCS; never touch big ones.
    Big segments are consolidated by ``portal reindex``, off the live index."""
    from whoosh.reading import SegmentReader

    small = sorted(
        (s for s in segments if s.doc_count_all() <= SMALL_SEGMENT_DOCS),
        key=lambda s: s.doc_count_all(),
    )
    if len(small) < 4:
        return segments
    chosen, total = [], 0
    for segment in small:
        if total + segment.doc_count_all() > MAX_MERGED_DOCS:
            break
        chosen.append(segment)
        total += segment.doc_count_all()
    if len(chosen) < 2:
        return segments
    for segment in chosen:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    chosen_ids = {segment.segment_id() for segment in chosen}
    return [s for s in segments if s.segment_id() not in chosen_ids]


class SearchIndexError(RuntimeError):
    """The index cannot be opened or used."""


class IndexBusy(SearchIndexError):
    """Another writer holds the index; try again later."""


class OtherEngine(SearchIndexError):
    """The index was written by the other engine: rebuilt, not set aside."""


ENGINES = ("tantivy", "whoosh")


class _ClosingStorage(FileStorage):
    """A file storage that never leaves a file open when an index is damaged.

    Whoosh leaves the file it was reading open when it fails on garbage; the
    small table-of-contents files are therefore read into memory at once, and
    every file opened while an index is being opened is closed on failure."""

    def __init__(self, path: str):
        super().__init__(path)
        self._opened: list | None = []

    def open_file(self, name, **kwargs):
        if name.endswith(".toc"):
            with open(self._fpath(name), "rb") as raw:
                stream = StructFile(io.BytesIO(raw.read()), name=name, **kwargs)
        else:
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


def open_or_create(path: Path) -> index.Index:
    path.mkdir(parents=True, exist_ok=True)
    if (path / "meta.json").exists():
        raise OtherEngine(f"the index at {path} was written by Tantivy")
    storage = _ClosingStorage(str(path))
    try:
        opened = (
            storage.open_index() if storage.index_exists() else storage.create_index(make_schema())
        )
        # Reading the table of contents is not enough: open every segment.
        with opened.searcher() as searcher:
            searcher.doc_count()
        # An index written with another schema (an older version of the
        # portal) is set aside and rebuilt like a damaged one.
        if sorted(opened.schema.names()) != sorted(make_schema().names()):
            raise SearchIndexError(f"the index at {path} has an older schema")
    except Exception as error:
        storage.close_opened()
        raise SearchIndexError(f"cannot open the index at {path}: {error}") from error
    storage.stop_tracking()
    return opened


def read_position(path: Path) -> int:
    """The last outbox entry applied to the generation at ``path`` (0: none)."""
    try:
        return int(json.loads((path / "position.json").read_text())["seq"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return 0


def write_position(path: Path, seq: int) -> None:
    """Keep ``seq`` as the generation's place in the outbox (never backwards
    here: two processes sharing the index may finish a round out of order)."""
    if seq <= read_position(path):
        return
    temp = path / f"position.json.{os.getpid()}.{threading.get_ident()}"
    temp.write_text(json.dumps({"seq": seq}))
    os.replace(temp, path / "position.json")


class Generation:
    """One pair of Whoosh indexes (current and history) in one directory."""

    engine = "whoosh"

    def __init__(self, path: Path):
        self.path = path
        self.name = path.name
        self.indexes = {name: open_or_create(path / name) for name in NAMES}
        self._searchers: dict = {}
        self._lock = threading.Lock()

    @contextmanager
    def writers(self, timeout: float = 10.0, **options):
        """Writers on both indexes, committed together only when nothing failed."""
        opened = {}
        try:
            for name in NAMES:
                opened[name] = self.indexes[name].writer(timeout=timeout, **options)
        except LockError as error:
            for writer in opened.values():
                writer.cancel()
            raise IndexBusy(str(error)) from error
        try:
            yield opened
        except BaseException:
            for writer in opened.values():
                writer.cancel()
            raise
        # History first: a crash between the two commits is replayed from the
        # outbox, and the current index never runs ahead of its history.
        for name in ("history", "current"):
            if options.get("procs", 1) > 1:
                opened[name].commit()
            else:
                opened[name].commit(mergetype=merge_small)

    @contextmanager
    def searcher(self, name: str):
        """A long-lived searcher, refreshed when the index has changed.

        Searches are serialised: Whoosh searchers are not thread-safe, and
        with the GIL they would not run in parallel anyway."""
        with self._lock:
            cached = self._searchers.get(name)
            if cached is not None and not cached.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers and misses
                # deletions made in them since (measured: a replaced version
                # stayed findable).
                cached.close()
                cached = None
            if cached is None:
                cached = self.indexes[name].searcher()
                self._searchers[name] = cached
            yield cached

    def stored(self, name: str) -> dict[str, int]:
        """Every key in index ``name`` with its version."""
        with self.searcher(name) as searcher:
            return {f["key"]: f.get("version") for f in searcher.all_stored_fields()}

    def versions_of(self, name: str, keys: list[str]) -> dict[str, int]:
        """The indexed version of each of ``keys`` found in index ``name``."""
        out = {}
        with self.searcher(name) as searcher:
            for key in keys:
                found = searcher.document(key=key)
                if found is not None:
                    out[key] = found.get("version")
        return out

    def sample_keys(self, name: str, count: int, seed: int) -> list[str]:
        """About ``count`` keys of index ``name``, from a run starting at a
        place chosen by ``seed``."""
        with self.searcher(name) as searcher:
            reader = searcher.reader()
            total = reader.doc_count_all()
            start = seed % max(1, total - count) if total > count else 0
            return [
                reader.stored_fields(docnum)["key"]
                for docnum in range(start, min(total, start + count))
                if not reader.is_deleted(docnum)
            ]

    def optimize(self) -> None:
        """Merge each index into one segment (slow; for a generation not yet live)."""
        for name in NAMES:
            self.indexes[name].optimize()

    def close(self) -> None:
        with self._lock:
            for cached in self._searchers.values():
                cached.close()
            self._searchers.clear()

    def doc_counts(self) -> dict:
        out = {}
        for name in NAMES:
            with self.searcher(name) as searcher:
                out[name] = searcher.doc_count()
        return out


class IndexStore:
    """The index directory: which generation is live, opening and replacing it."""

    def __init__(self, root: str | os.PathLike, engine: str = "tantivy"):
        if engine not in ENGINES:
            raise ValueError(f"unknown search engine {engine!r}")
        self.root = Path(root)
        self.engine = engine
        self._node_id: str | None = None
        self._live: Generation | None = None
        self._lock = threading.Lock()
        #: Set when the live generation had to be recreated empty.
        self.needs_rebuild = False

    # --- generations ---------------------------------------------------

    def open_generation(self, path: Path):
        """The generation at ``path``, in this store's engine."""
        if self.engine == "tantivy":
            from search_index import tantivy_engine

            return tantivy_engine.Generation(path)
        return Generation(path)

    @property
    def node_id(self) -> str:
        """This index folder's name among the nodes of a deployment (kept in it)."""
        if self._node_id is None:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.root / "NODE"
            if not path.exists():
                import socket
                import uuid

                scratch = self.root / f".NODE.{os.getpid()}"
                scratch.write_text(f"{socket.gethostname()}-{uuid.uuid4().hex[:12]}")
                try:
                    os.link(scratch, path)  # two processes starting at once agree
                except FileExistsError:
                    pass
                finally:
                    scratch.unlink(missing_ok=True)
            self._node_id = path.read_text().strip()
        return self._node_id

    def _pointer(self) -> Path:
        return self.root / "LIVE"

    def live_name(self) -> str | None:
        try:
            return self._pointer().read_text().strip() or None
        except FileNotFoundError:
            return None

    def _next_name(self) -> str:
        # Damaged generations set aside keep their number: names are never reused.
        numbers = [
            int(found.group(1))
            for p in self.root.iterdir()
            if (found := _GENERATION.search(p.name))
        ]
        return f"gen-{max(numbers, default=0) + 1:06d}"

    def _set_live(self, name: str) -> None:
        temp = self.root / "LIVE.tmp"
        temp.write_text(name)
        os.replace(temp, self._pointer())

    @contextmanager
    def _folder_lock(self):
        """This index folder to this process alone while it opens, creates or
        replaces a generation: two processes starting at once (two CLI
        commands, two web processes) would otherwise both create the first
        generation, and one would read the other's half-made files as damage."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".open.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def live(self) -> Generation:
        """The live generation; a damaged one is replaced by an empty one."""
        with self._lock:
            name = self.live_name()
            if self._live is not None and self._live.name == name:
                return self._live
            with self._folder_lock():
                return self._open_live()

    def _open_live(self) -> Generation:
        """Open (or create, or replace) the live generation: under the folder lock."""
        name = self.live_name()
        if name is None:
            name = self._next_name()
            self._set_live(name)
            # A new directory with records already in the database needs them.
            self.needs_rebuild = True
        try:
            generation = self.open_generation(self.root / name)
        except SearchIndexError as error:
            if isinstance(error, OtherEngine) or "another engine" in str(error):
                log.warning("search index of another engine, rebuilding: %s", error)
                shutil.rmtree(self.root / name, ignore_errors=True)
            else:
                log.error("search index damaged, rebuilding: %s", error)
                self._quarantine(self.root / name)
            name = self._next_name()
            self._set_live(name)
            generation = self.open_generation(self.root / name)
            self.needs_rebuild = True
        if self._live is not None:
            self._live.close()
        self._live = generation
        return generation

    def verify(self) -> None:
        """Open the live generation afresh; SearchIndexError if it is damaged."""
        name = self.live_name()
        if name is None:
            return
        if self.engine == "tantivy":
            from search_index import tantivy_engine

            for index_name in NAMES:
                try:
                    tantivy_engine.open_index(self.root / name / index_name)
                except Exception as error:
                    raise SearchIndexError(f"cannot open the index: {error}") from error
            return
        for index_name in NAMES:
            open_or_create(self.root / name / index_name).close()

    def recover(self) -> None:
        """Set a damaged live generation aside and start an empty one to rebuild."""
        with self._lock, self._folder_lock():
            name = self.live_name()
            if self._live is not None:
                self._live.close()
                self._live = None
            if name:
                log.error("search index %s damaged; set aside, rebuilding", name)
                self._quarantine(self.root / name)
            fresh = self._next_name()
            self._set_live(fresh)
            self.needs_rebuild = True
        self.live()

    def _quarantine(self, path: Path) -> None:
        if path.exists():
            target = path.with_name(f"damaged-{path.name}-{int(time.time())}")
            path.rename(target)

    def building(self) -> tuple[Path, dict] | None:
        """The generation a rebuild is filling, with its progress, if any."""
        live = self.live_name()
        for path in sorted(self.root.glob("gen-*"), reverse=True):
            progress = path / "build.json"
            if path.name != live and progress.exists():
                return path, json.loads(progress.read_text())
        return None

    def start_building(self, state: dict) -> Path:
        path = self.root / self._next_name()
        path.mkdir(parents=True)
        self.save_progress(path, state)
        return path

    @staticmethod
    def save_progress(path: Path, state: dict) -> None:
        temp = path / "build.json.tmp"
        temp.write_text(json.dumps(state, default=str))
        os.replace(temp, path / "build.json")

    def switch_to(self, path: Path) -> None:
        """Make a finished generation live and remove the older ones."""
        (path / "build.json").unlink(missing_ok=True)
        self._set_live(path.name)
        self.needs_rebuild = False
        self.live()
        for old in self.root.glob("gen-*"):
            if old.name != path.name and not (old / "build.json").exists():
                shutil.rmtree(old, ignore_errors=True)

    def health(self) -> dict:
        try:
            self.verify()
            counts = self.live().doc_counts()
        except Exception as error:  # noqa: BLE001 - any failure means unhealthy
            return {"ok": False, "error": type(error).__name__}
        building = self.building()
        out = {"ok": True, "documents": counts["current"], "versions": counts["history"]}
        if building:
            out["rebuilding"] = building[1].get("done", 0)
        if self.needs_rebuild:
            out["rebuild_pending"] = True
        return out
