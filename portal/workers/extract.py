"""Reading the text of attachments in the background (:mod:`records.extraction`).

The thread only schedules: it finds attachments not read yet and hands each
to a child process with limits on time and memory, one file at a time, so a
scan being read never holds up a request.
"""

from __future__ import annotations

import logging
import threading

from portal.workers import start_polling
from records import extraction

log = logging.getLogger(__name__)


def limits_of(config) -> extraction.Limits:
    """The limits of one file, from the app's settings."""
    return extraction.Limits(
        seconds=config["EXTRACT_TIMEOUT_SECONDS"],
        memory_mb=config["EXTRACT_MEMORY_MB"],
        max_pages=config["EXTRACT_MAX_PAGES"],
        max_ocr_pages=config["EXTRACT_MAX_OCR_PAGES"],
    )


class ExtractThread(threading.Thread):
    """Reads pending attachments; waits ``seconds`` when none is left."""

    def __init__(self, app, seconds: float):
        super().__init__(name="attachment-text", daemon=True)
        self.app = app
        self.interval = seconds
        self.limits = limits_of(app.config)
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            entry = None
            try:
                with self.app.app_context():
                    entry = extraction.work_once(self.limits)
            except Exception:  # noqa: BLE001 - one file's failure is recorded on it
                log.exception("reading attachments failed")
            if entry is None:
                self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()


def start_extract_thread(app) -> ExtractThread | None:
    """Start the attachment reader (by `portal serve` and `portal worker`)."""
    return start_polling(app, ExtractThread, "EXTRACT_POLL_SECONDS")
