"""Background work: the search indexer, the deadline checks, the e-mail
sender and the scheduled backups.

``create_app()`` starts none of it (a test app, a CLI command and every web
process of a multi-process server build apps too); ``portal serve`` and
``portal worker`` call :func:`start_workers`. Work that must run once per
deployment (escalation, e-mail, backups) takes a lease in the database
(:mod:`portal.workers.rounds`), so every node may run every worker.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask


def start_polling(app: Flask, thread_class: Callable, setting: str):
    """Start ``thread_class(app, every)``, ``every`` being the app's
    ``setting``; None (nothing started) when the setting is 0 or empty."""
    every = app.config[setting]
    if not every:
        return None
    thread = thread_class(app, every)
    thread.start()
    return thread


def _start_indexer(app: Flask):
    from search_index import IndexerThread

    if app.config["SEARCH_INDEXER"] != "background":
        # "manual" leaves it to the caller (tests) and `portal reindex`.
        return None
    # Every node applies the outbox to its own index (its own position in it):
    # no lease.
    thread = IndexerThread(app.extensions["search_indexer"])
    thread.start()
    return thread


def _start_deadlines(app: Flask):
    from portal.workers.deadlines import start_deadline_thread

    return start_deadline_thread(app)


def _start_mail(app: Flask):
    from portal.workers.mail import start_mail_thread

    return start_mail_thread(app)


def _start_extract(app: Flask):
    from portal.workers.extract import start_extract_thread

    # Each file is claimed on its own (an expiring claim in the database):
    # every node may read attachments, no lease.
    return start_extract_thread(app)


def _start_backups(app: Flask):
    from portal.workers.backups import start_backup_thread

    return start_backup_thread(app)


#: Each worker: the extension that holds its thread, and what starts it
#: (answers the thread, or None when the settings turn it off). A new worker
#: is one more line; they stop in this order.
WORKERS: list[tuple[str, Callable[[Flask], object]]] = [
    ("search_indexer_thread", _start_indexer),
    ("deadline_thread", _start_deadlines),
    ("mail_thread", _start_mail),
    ("backup_thread", _start_backups),
    ("extract_thread", _start_extract),
]
THREADS = tuple(name for name, _start in WORKERS)


def start_workers(app: Flask) -> list[str]:
    """Start the background threads the app's settings ask for; their names."""
    started = []
    for name, start in WORKERS:
        thread = start(app)
        if thread is not None:
            app.extensions[name] = thread
            started.append(name)
    return started


def stop_workers(app: Flask) -> None:
    """Stop the threads :func:`start_workers` started (each waits for its round)."""
    for name in THREADS:
        thread = app.extensions.pop(name, None)
        if thread is not None:
            thread.stop()
