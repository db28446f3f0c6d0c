"""*Administration › System status*: what ``/healthz`` reports, for people."""

from __future__ import annotations

from flask_admin import BaseView, expose
from flask_babel import lazy_gettext as _l

from portal import health
from portal.admin_base import RoleGuard
from records.roles import ADMIN

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
    "error": _l("Error"),
}
VALUES = {
    True: _l("Yes"),
    False: _l("No"),
    "running": _l("running"),
    "stopped": _l("stopped"),
    "not started": _l("not started in this process"),
}
STATUS = {
    "ok": _l("Every part works."),
    "degraded": _l("Degraded: searches lag behind the saved changes."),
    "unavailable": _l("Unavailable: the parts marked below do not work."),
}


class SystemStatusView(RoleGuard, BaseView):
    """Administrators see the health of this portal process, part by part."""

    allowed_roles = (ADMIN,)

    @expose("/")
    def index(self):
        status, checks = health.report()
        rows = []
        for part, check in checks.items():
            details = [(DETAILS.get(key, key), VALUES.get(value, value))
                       for key, value in check.items()
                       if key != "ok" and not key.endswith("_capped")]
            rows.append((PARTS.get(part, part), check["ok"], details))
        # 200 whatever the state: a proxy may replace a 503 page by its own.
        return self.render("admin/system_status.html", status=status,
                           summary=STATUS[status], rows=rows)
