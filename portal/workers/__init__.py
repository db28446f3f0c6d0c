"""Background work: the search indexer, the deadline checks and the e-mail sender.

``create_app()`` starts none of it (a test app, a CLI command and every
worker of a multi-process web server build apps too); ``portal serve`` and
``portal worker`` call :func:`start_workers`.
"""

from __future__ import annotations

from flask import Flask

#: The extensions that hold the threads, in the order they stop.
THREADS = ("search_indexer_thread", "deadline_thread", "mail_thread", "extract_thread")


def start_workers(app: Flask) -> list[str]:
    """Start the background threads the app's settings ask for; their names."""
    from portal.workers.deadlines import start_deadline_thread
    from portal.workers.extract import start_extract_thread
    from portal.workers.mail import start_mail_thread
    from search_index import IndexerThread

    if app.config["SEARCH_INDEXER"] == "background":
        # Applies the outbox while the portal runs; "manual" leaves it to the
        # caller (tests) and `portal reindex`.
        thread = IndexerThread(app.extensions["search_indexer"])
        app.extensions["search_indexer_thread"] = thread
        thread.start()
    start_deadline_thread(app)
    start_mail_thread(app)
    start_extract_thread(app)
    return [name for name in THREADS if name in app.extensions]


def stop_workers(app: Flask) -> None:
    """Stop the threads :func:`start_workers` started (each waits for its round)."""
    for name in THREADS:
        thread = app.extensions.pop(name, None)
        if thread is not None:
            thread.stop()
