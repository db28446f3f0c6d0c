"""The record page's model is built without a request: what a reader sees
of a record, what may follow from it, and what was wrong with the query."""

from __future__ import annotations

import flask

from portal.admin.record_page import RecordPageModel
from records.models import AuditEntry, Record
from records.types import registry
from tests.helpers import actor_of
from tests.portal.test_daily_work_pages import _closed_near_midnight


def test_the_record_page_model_needs_no_request(app, org):
    with app.app_context():
        assert not flask.has_request_context()
        record = _closed_near_midnight()
        Record.objects(pk=record.pk).update(
            set__state="resolved", set__data__contact="周先生 13900001111"
        )
        chen = actor_of("chen")
        complaint = registry["complaint_sheet"]
        page = RecordPageModel.build(chen, complaint, record.number, {"to": "99"})
        # A version beyond the history is said, and the page shows the defaults.
        assert page.problems and page.diff_to == page.versions[0].version
        assert page.record.number == record.number and page.shown is None
        assert AuditEntry.objects(action="view", number=record.number).count() == 1
        offered = {link.type: values for link, values in page.follow_ups()}
        # An answered complaint offers a revisit, filled in from it, and a CAPA report.
        assert offered["revisit_record"] == {
            "complaint": record.number,
            "customer": "阳光小区",
            "contact": "周先生 13900001111",
            "visitor": "陈静",
        }
        assert offered["capa_report"]["source"] == record.number
        values = page.template_values()
        assert values["shown_data"]["customer"] == "阳光小区"
        assert values["retention_until"].isoformat() == "2029-12-02"
