"""*Administration › System status*: what ``/healthz`` reports, for people."""

from __future__ import annotations

from flask_admin import BaseView, expose
from flask_babel import lazy_gettext as _l

from portal.admin.base import RoleGuard
from portal.pages import health
from records.permissions import READ_HEALTH

PARTS = {
    "database": _l("Database"),
    "search_index": _l("Search index"),
    "outbox": _l("Changes waiting for the search index"),
    "workers": _l("Background work"),
}
DETAILS = {
    "embedded": _l("Embedded database"),
    "latency_ms": _l("Answer time (ms)"),
    "restarts": _l("Restarts after a crash"),
    "documents": _l("Records indexed"),
    "versions": _l("Versions indexed"),
    "writable": _l("Writable"),
    "indexer_error": _l("Last indexing error"),
    "indexer_error_at": _l("Time of the last indexing error"),
    "pending": _l("Changes waiting"),
    "oldest_age_seconds": _l("Oldest waiting for (s)"),
    "max_pending": _l("At most waiting"),
    "max_age_seconds": _l("At most waiting for (s)"),
    "search_indexer": _l("Search indexer"),
    "deadlines": _l("Deadline checks"),
    "mail": _l("E-mail sender"),
    "backups": _l("Scheduled backups"),
    "attachment_text": _l("Attachment reader"),
    "error": _l("Error"),
    "rebuild_pending": _l("Rebuild pending"),
}
VALUES = {
    True: _l("Yes"),
    False: _l("No"),
    "running": _l("running"),
    "stopped": _l("stopped"),
    "not started": _l("not started in this process"),
    "in the serving parent": _l("run by the process that serves the port"),
}
STATUS = {
    "ok": _l("Every part works."),
    "degraded": _l("Degraded: searches lag behind the saved changes."),
    "unavailable": _l("Unavailable: the parts marked below do not work."),
}


class SystemStatusView(RoleGuard, BaseView):
    """Administrators see the health of this portal process, part by part."""

    permission = READ_HEALTH

    @expose("/")
    def index(self):
        status, checks = health.report()
        rows = []
        for part, check in checks.items():
            # Only booleans and states read as words: 0 is a count, not "No";
            # a part's key no label names is left out rather than shown raw.
            details = [
                (DETAILS[key], VALUES.get(value, value) if isinstance(value, bool | str) else value)
                for key, value in check.items()
                if key in DETAILS and not key.endswith("_capped")
            ]
            rows.append((PARTS.get(part, part), check["ok"], details))
        # 200 whatever the state: a proxy may replace a 503 page by its own.
        return self.render(
            "admin/system_status.html", status=status, summary=STATUS[status], rows=rows
        )
