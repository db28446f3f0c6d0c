"""The search outbox: one entry for every write of a record, in its
transaction, which the indexer applies to each index in order."""

from __future__ import annotations

from pymongo import ReturnDocument

from records.clock import utcnow


def queue_for_index(db, session, doc: dict, op: str = "upsert") -> None:
    """An outbox entry for the search index, in the caller's transaction.

    Entries are numbered by one counter, taken inside the transaction: two
    saves at once conflict on it and one retries, so the numbers follow the
    order of the commits and each index can keep its place as one number."""
    counter = db.counters.find_one_and_update(
        {"_id": "search_outbox"},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    db.search_outbox.insert_one(
        {
            "seq": counter["seq"],
            "record_id": doc["_id"],
            "number": doc["number"],
            "version": doc.get("version"),
            "op": op,
            "at": utcnow(),
        },
        session=session,
    )
