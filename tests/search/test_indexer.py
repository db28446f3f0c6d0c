"""The indexer never loses an update and never leaves a broken index."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from records.operations import create_record, revise_record
from records.store import database
from search_index import Indexer, IndexerThread, Search, search, snippet
from search_index.indexer import read_ahead
from tests.records.conftest import HANDOVER, actor


@pytest.fixture
def staff(ctx):
    return actor("wang", "staff", department="CS")


def log(who, events):
    return create_record(who, "handover_log", {**HANDOVER, "events": events})


def keys(store, who, text):
    return [hit.key for hit in search(store, who, Search(text=text)).hits]


def test_the_index_moves_its_place_only_after_it_committed(staff, store, indexer):
    record = log(staff, "空调噪音")
    assert indexer.check()["pending"] == 1
    assert keys(store, staff, "噪音") == []  # not yet indexed: the save did not wait
    assert indexer.apply_pending() == 1
    assert indexer.check()["pending"] == 0
    assert indexer.position() == database().search_outbox.find_one()["seq"]
    assert keys(store, staff, "噪音") == [record.number]


def test_a_crash_before_moving_on_replays_harmlessly(staff, store, indexer):
    record = log(staff, "空调噪音")
    indexer.drain()
    # As if the process died after the commit and before keeping its place.
    (store.live().path / "position.json").unlink()
    assert indexer.drain() == 1
    assert keys(store, staff, "噪音") == [record.number]
    assert store.live().doc_counts() == {"current": 1, "history": 1}
    assert indexer.check() == {
        "current": {"missing": [], "extra": [], "stale": []},
        "history": {"missing": [], "extra": []},
        "pending": 0,
    }


def test_check_names_the_differences(staff, indexer):
    first = log(staff, "空调噪音")
    indexer.drain()
    second = log(staff, "供暖漏水")
    revise_record(staff, first.number, {"events": "改"}, base_version=1)
    report = indexer.check()
    assert report["current"]["missing"] == [second.number]
    assert report["current"]["stale"] == [first.number]
    assert report["history"]["missing"] == sorted([f"{first.number}@2", f"{second.number}@1"])
    assert report["pending"] == 2
    indexer.drain()
    database().records.delete_one({"number": second.number})  # behind the operations' back
    database().record_versions.delete_many({"number": second.number})
    report = indexer.check()
    assert report["current"]["extra"] == [second.number]
    assert report["history"]["extra"] == [f"{second.number}@1"]


def test_a_sampled_check_finds_a_lost_change_and_a_record_gone(staff, indexer):
    # What `portal check` does above FULL_CHECK_RECORDS records.
    first = log(staff, "空调噪音")
    second = log(staff, "供暖漏水")
    indexer.drain()
    clean = indexer.check(full=False)
    assert clean["current"] == {"missing": [], "extra": [], "stale": []}
    assert clean["history"] == {"missing": [], "extra": []}
    assert clean["count"] == {} and clean["sampled"]["records"] == 2
    revise_record(staff, first.number, {"events": "改"}, base_version=1)
    report = indexer.check(full=False)
    # The latest change is always looked at: the index is behind by it.
    assert report["current"]["stale"] == [first.number]
    assert report["history"]["missing"] == [f"{first.number}@2"]
    assert report["count"] == {"history": "2 in the index, 3 in the database"}
    indexer.drain()
    database().records.delete_one({"number": second.number})  # behind the operations' back
    database().record_versions.delete_many({"number": second.number})
    report = indexer.check(full=False)
    assert report["current"]["extra"] == [second.number]
    assert report["history"]["extra"] == [f"{second.number}@1"]
    assert set(report["count"]) == {"current", "history"}


def test_a_corrupt_index_is_detected_and_rebuilt(staff, store, indexer, client):
    record = log(staff, "空调噪音")
    indexer.step()  # the first round builds the new index directory from the database
    assert not store.needs_rebuild and keys(store, staff, "噪音") == [record.number]
    damaged = store.root / store.live_name() / "current"
    for path in damaged.iterdir():
        path.write_bytes(b"garbage")
    assert client.get("/healthz").status_code == 503
    log(staff, "供暖漏水")
    # The background step notices, sets the damaged index aside and rebuilds.
    indexer.step()
    indexer.step()
    assert store.live_name() != damaged.parent.name
    assert any(p.name.startswith("damaged-") for p in store.root.iterdir())
    assert keys(store, staff, "噪音") == [record.number]
    assert len(keys(store, staff, "漏水")) == 1
    assert client.get("/healthz").status_code == 200


def test_a_rebuild_resumes_and_searches_go_on_meanwhile(staff, store, indexer):
    numbers = [log(staff, f"第{i}条 漏水").number for i in range(5)]
    indexer.drain()
    calls = []

    def stop_after_two_chunks(done, total):
        calls.append((done, total))
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        indexer.rebuild(progress=stop_after_two_chunks, chunk=2)
    building, state = store.building()
    assert state["done"] == 4
    # The thread reading the database ahead stopped with it.
    assert not [t for t in threading.enumerate() if t.name == "index-read-ahead"]
    # The live index still answers while the new one is half built.
    assert len(keys(store, staff, "漏水")) == 5
    late = log(staff, "重建期间保存的漏水记录")
    indexer.drain()
    result = indexer.rebuild(chunk=2, procs=2)  # resumed with two analysing processes
    assert result["records"] == 6 and store.live_name() == building.name
    assert sorted(keys(store, staff, "漏水")) == sorted([*numbers, late.number])
    assert indexer.check()["current"] == {"missing": [], "extra": [], "stale": []}


def test_a_failed_database_read_ends_the_rebuild_with_its_error():
    def batches():
        yield ["first batch"]
        raise ConnectionError("the database went away")

    read = []
    with pytest.raises(ConnectionError, match="went away"):
        read.extend(read_ahead(batches()))
    assert read == [["first batch"]]


def test_a_rebuild_stopped_before_noting_its_progress_resumes_without_duplicates(
    staff, store, indexer, engine, monkeypatch
):
    for i in range(5):
        record = log(staff, f"第{i}条 漏水")
        revise_record(staff, record.number, {"events": f"第{i}条 漏水，已修"}, base_version=1)
    indexer.drain()
    noted = store.save_progress

    def stop_at_the_second_chunk(path, state):
        # Both indexes of the chunk are committed; the process dies before
        # its progress is written.
        if state.get("done", 0) >= 4:
            raise KeyboardInterrupt
        noted(path, state)

    monkeypatch.setattr(store, "save_progress", stop_at_the_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        indexer.rebuild(chunk=2)
    monkeypatch.setattr(store, "save_progress", noted)
    building, state = store.building()
    assert state["done"] == 2  # the second chunk is in the index, not in the progress
    indexer.rebuild(chunk=2)
    counts = store.live().doc_counts()
    assert counts == {"current": 5, "history": 10}
    assert indexer.check(full=True)["current"] == {"missing": [], "extra": [], "stale": []}
    auditor = actor("audit", "auditor", department=None)
    found = search(store, auditor, Search(text="漏水", history=True))
    assert found.total == 10


def test_the_background_thread_makes_a_save_searchable(staff, store, app):
    thread = IndexerThread(Indexer(store), interval=0.05)
    thread.start()
    try:
        record = log(staff, "空调噪音")
        import time

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not keys(store, staff, "噪音"):
            time.sleep(0.05)
        assert keys(store, staff, "噪音") == [record.number]
    finally:
        thread.stop()
    assert not thread.is_alive()


def test_snippets_mark_the_words_and_escape_the_rest():
    text = "客户<王先生>来电 & 投诉：空调外机噪音很大。" + "其他内容" * 50 + "最后又提到噪音"
    shown = snippet(text, {"噪音", "空调"}, width=80)
    assert "<mark>空调</mark>" in shown and "<mark>噪音</mark>" in shown
    assert "&lt;王先生&gt;" in shown and "&amp;" in shown
    assert shown.endswith("…")
    assert snippet("", {"x"}) == ""
    assert snippet("質量記錄", {"记录"}) == "質量<mark>記錄</mark>"
    # Found by its characters where the segmenter cut 他们/和/服务员.
    assert snippet("他们和服务员吵架", {"和服"}) == "他们<mark>和服</mark>务员吵架"
    assert snippet("The customer complained twice", {"complain"}) == (
        "The customer <mark>complained</mark> twice"
    )


def test_cached_columns_follow_the_segments_of_the_index(staff, store, indexer, engine):
    if engine != "whoosh":
        pytest.skip("Whoosh's own column cache")
    from search_index.query import COLUMNS

    for i in range(3):
        log(staff, f"第{i}条漏水")
        indexer.drain()  # a commit, a small segment
        keys(store, staff, "漏水")
    generation = store.live()
    with generation.searcher("current") as searcher:
        segments = {
            sub.reader().segment().segment_id() for sub, _offset in searcher.leaf_searchers()
        }
    cached = {segment for segment, _field in COLUMNS._cache}
    assert segments <= cached
    generation.indexes["current"].optimize()  # merged into one new segment
    assert len(keys(store, staff, "漏水")) == 3
    assert not (segments & {segment for segment, _field in COLUMNS._cache})


def test_frequent_small_commits_keep_the_segment_count_bounded(staff, store, indexer, engine):
    for i in range(9):
        log(staff, f"第{i}条")
        indexer.drain()
    if engine == "tantivy":
        # Tantivy's writer merges in the background: give it a moment.
        import time

        searcher = store.live().searcher("current")
        deadline = time.monotonic() + 10
        while searcher.num_segments >= 9 and time.monotonic() < deadline:
            time.sleep(0.1)
            searcher = store.live().searcher("current")
        assert searcher.num_segments < 9 and searcher.num_docs == 9
        return
    with store.live().searcher("current") as searcher:
        assert len(list(searcher.leaf_searchers())) < 4
        assert searcher.doc_count() == 9


def test_every_index_folder_sees_every_change_and_the_outbox_waits_for_the_slowest(
    staff, store, indexer, engine, tmp_path
):
    from search_index import IndexStore

    other_store = IndexStore(tmp_path / "second-node", engine=engine)
    other = Indexer(other_store)
    first = log(staff, "空调噪音")
    assert indexer.drain() == 1 and other.drain() == 1
    second = log(staff, "供暖漏水")
    assert indexer.drain() == 1  # the second node has not run since
    assert keys(store, staff, "漏水") == [second.number]
    assert keys(other_store, staff, "噪音") == [first.number]
    assert keys(other_store, staff, "漏水") == []
    assert indexer.purge_applied(keep=timedelta(0)) == 1  # only what both applied
    assert other.drain() == 1
    assert keys(other_store, staff, "漏水") == [second.number]
    assert indexer.purge_applied(keep=timedelta(0)) == 1
    assert database().search_outbox.count_documents({}) == 0


def test_a_node_behind_the_purged_outbox_rebuilds(staff, store, indexer, engine, tmp_path):
    from search_index import IndexStore

    record = log(staff, "空调噪音")
    indexer.drain()
    # A node that has been away longer than the others waited for it.
    late_store = IndexStore(tmp_path / "late-node", engine=engine)
    late_store.live()
    late_store.needs_rebuild = False
    indexer.purge_applied(keep=timedelta(0))
    late = Indexer(late_store)
    assert late.step() == 0 and late_store.needs_rebuild
    late.step()  # the rebuild
    assert keys(late_store, staff, "噪音") == [record.number]
    assert late.check()["current"] == {"missing": [], "extra": [], "stale": []}


def test_switching_engines_rebuilds_the_index_from_the_database(staff, store, indexer, engine):
    from search_index import IndexStore

    record = log(staff, "空调噪音")
    indexer.step()
    other = "whoosh" if engine == "tantivy" else "tantivy"
    switched = IndexStore(store.root, engine=other)
    switched.live()
    assert switched.needs_rebuild
    assert not any(p.name.startswith("damaged-") for p in store.root.iterdir())
    Indexer(switched).step()
    assert keys(switched, staff, "噪音") == [record.number]


def test_processes_sharing_one_index_folder_share_one_writer_and_see_its_commits(
    staff, store, indexer, engine
):
    from search_index import IndexBusy, IndexStore

    indexer.step()
    # A second portal process on this machine: the same folder.
    neighbour = IndexStore(store.root, engine=engine)
    assert neighbour.live().name == store.live().name
    other = neighbour.live()
    with store.live().writers(), pytest.raises(IndexBusy), other.writers(timeout=0.2):
        pass
    record = log(staff, "空调噪音")
    indexer.drain()
    assert keys(neighbour, staff, "噪音") == [record.number]
    assert Indexer(neighbour).drain() == 0  # its place is the folder's: nothing left


def _open_live(roots: list[str], engine: str, barrier, results) -> None:
    from search_index import IndexStore

    for root in roots:
        barrier.wait(60)  # every process opens the same new folder at the same instant
        try:
            IndexStore(root, engine=engine).live()
            results.put("opened")
        except Exception as error:  # noqa: BLE001 - reported to the test
            results.put(repr(error))


def test_processes_starting_at_once_on_an_empty_folder_all_open_one_generation(engine, tmp_path):
    """Two CLI commands (or web processes) started together on a new data
    folder: each opens the index, none reads the other's half-made files."""
    import multiprocessing

    from search_index import IndexStore

    context = multiprocessing.get_context("spawn")
    roots = [str(tmp_path / f"index-{attempt}") for attempt in range(12)]
    barrier, results = context.Barrier(3), context.Queue()
    starting = [
        context.Process(target=_open_live, args=(roots, engine, barrier, results)) for _ in range(3)
    ]
    for process in starting:
        process.start()
    outcomes = [results.get(timeout=60) for _ in range(3 * len(roots))]
    for process in starting:
        process.join(60)
    assert outcomes == ["opened"] * len(outcomes)
    assert {IndexStore(root, engine=engine).live().name for root in roots} == {"gen-000001"}
