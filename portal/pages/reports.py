"""Reports and the dashboard's figures: the monthly summary, the quarterly
analysis and the yearly statistics as pages, Word and Excel; the records
behind each figure; filing the satisfaction analysis report."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import exports
from portal.actors import actor_for, message
from portal.admin.base import AdminForm
from portal.models import Department
from portal.pages import charts
from portal.pages.display import crumbs, record_url, row_url, state_label, type_title
from portal.security import permission_required
from records import measures, reports, worklists
from records.clock import local_now
from records.errors import RecordError
from records.permissions import FILE_REPORTS, READ_RECORDS
from records.vocabularies import SEVERITIES
from records.word import output
from records.word.registers import report_docx, report_xlsx

bp = Blueprint("reports", __name__)


def _actor():
    return actor_for(current_user._get_current_object())


def _department(actor) -> str | None:
    """Staff see their own department's figures only."""
    if actor.sees_everything():
        return request.args.get("department") or None
    return actor.department


def _period() -> reports.Period:
    today = local_now().date()
    kind = request.args.get("kind", "month")
    year = request.args.get("year", type=int) or today.year
    default = {"month": today.month, "quarter": (today.month - 1) // 3 + 1}.get(kind, 1)
    return reports.Period(kind, year, request.args.get("number", type=int) or default)


def _period_or_back() -> reports.Period:
    """The period asked for; one that is not a period goes back to the
    report page, which says why."""
    try:
        return _period()
    except RecordError as error:
        flash(message(error), "error")
        abort(redirect(url_for(".report_page")))


@bp.route("/reports")
@permission_required(READ_RECORDS)
def report_page():
    actor = _actor()
    texts = exports.texts()
    period = _period_or_back()
    department = _department(actor)
    report = reports.build(period, texts, department=department)
    labels = list(report.trend)
    trend_chart = charts.rates(
        _("Complaint rates by month"),
        labels,
        {
            _("Timeliness rate"): [f.timeliness for f in report.trend.values()],
            _("Closure rate"): [f.closure for f in report.trend.values()],
            _("Satisfaction rate"): [f.satisfaction for f in report.trend.values()],
        },
        target=measures.TARGETS["timeliness"],
        target_label=_("Target"),
    )
    severities = report.totals.by_prefix("severity")
    severity_chart = charts.bars(
        _("Complaints by severity"),
        [_(c.label) for c in SEVERITIES],
        [severities.get(c.value, 0) for c in SEVERITIES],
    )
    args = {
        "kind": period.kind,
        "year": period.year,
        "number": period.number,
        "department": department,
    }
    return render_template(
        "work/report.html",
        report=report,
        period=period,
        args=args,
        texts=texts,
        cell_text=reports.cell_text,
        trend_chart=trend_chart,
        severity_chart=severity_chart,
        kinds=reports.KINDS,
        department=department,
        can_file=actor.may(FILE_REPORTS),
        departments=Department.objects(active=True).only("code", "name")
        if actor.sees_everything()
        else [],
        form=AdminForm(),
        breadcrumbs=crumbs((_("Reports"), None)),
    )


@bp.route("/reports/export.<any(docx, xlsx):file_format>")
@permission_required(READ_RECORDS)
def report_export(file_format):
    actor = _actor()
    texts = exports.texts()
    period = _period_or_back()
    report = reports.build(period, texts, department=_department(actor))
    printed = texts(
        "Printed %(at)s by %(name)s",
        at=texts.local_datetime(local_now()),
        name=actor.full_name or actor.username,
    )
    make = report_docx if file_format == "docx" else report_xlsx
    made = make(report, texts, organisation=exports.organisation(), printed=printed)
    output.audit_export(
        actor, {"report": period.key, "format": file_format, "department": report.department}
    )
    return exports.send(made)


@bp.route("/reports/records")
@permission_required(READ_RECORDS)
def records_behind():
    """The records one figure of a report counts."""
    actor = _actor()
    metric = request.args.get("metric", "")
    if not metric or len(metric) > 64:
        abort(404)
    try:
        period = _period()
    except RecordError:
        abort(404)
    department = _department(actor)
    rows = reports.records_behind(metric, period, department, actor=actor)
    return render_template(
        "work/report_records.html",
        rows=rows,
        metric=metric,
        period=period,
        texts=exports.texts(),
        department=department,
        row_url=row_url,
        state_label=state_label,
        type_title=type_title,
        breadcrumbs=crumbs(
            (
                _("Reports"),
                url_for(
                    ".report_page",
                    kind=period.kind,
                    year=period.year,
                    number=period.number,
                    department=department,
                ),
            ),
            (_("Records behind a figure"), None),
        ),
    )


@bp.route("/reports/file-analysis", methods=("POST",))
@permission_required(FILE_REPORTS)
def file_analysis():
    try:
        period = reports.Period(
            request.form.get("kind", ""),
            int(request.form.get("year", "0") or 0),
            int(request.form.get("number", "1") or 1),
        )
        record = reports.file_satisfaction_analysis(_actor(), period, exports.texts())
    except (RecordError, ValueError) as error:
        flash(
            message(error) if isinstance(error, RecordError) else _("Not a valid value."), "error"
        )
        return redirect(url_for(".report_page"))
    flash(
        _(
            "The satisfaction analysis report %(number)s was filed as a draft.",
            number=record.number,
        ),
        "success",
    )
    return redirect(record_url(record.number, record.type))


def dashboard_figures(actor) -> dict:
    """What the home page shows a role: the department's overdue items and
    open complaints, this month's rates against their targets, the last
    twelve months as a chart."""
    today = local_now().date()
    # Staff see their department's figures; roles outside the records
    # (administrators) and people without a department see none.
    everyone = actor.sees_everything()
    department = None if everyone else actor.department
    departments = None if everyone else [department] if department else []
    months = [f"{y:04d}-{m:02d}" for y, m in _last_months(today.year, today.month, 12)]
    trend = measures.monthly(months, departments)
    this_month = trend[months[-1]]
    year = measures.monthly([f"{today.year:04d}-{m:02d}" for m in range(1, 13)], departments)
    open_count = sum(f["open"] for f in year.values())
    # Counted, not listed: no reminders, two fields of each record.
    overdue = (
        worklists.overdue_records(
            actor, department=department, fields={"type": 1, "data.received_at": 1}
        )
        if departments != []
        else []
    )
    chart = charts.rates(
        _("Complaint rates by month"),
        months,
        {
            _("Timeliness rate"): [trend[m].timeliness for m in months],
            _("Closure rate"): [trend[m].closure for m in months],
            _("Satisfaction rate"): [trend[m].satisfaction for m in months],
        },
        target=measures.TARGETS["timeliness"],
        target_label=_("Target"),
    )
    return {
        "department": department,
        "overdue": len(overdue),
        "open": open_count,
        "month": this_month,
        "month_label": months[-1],
        "targets": measures.TARGETS,
        # Early in a month nothing dispatched has come to its end: the
        # complaint rates would read 0% though nothing is late yet (items
        # overdue from earlier months count in their own months).
        "nothing_due": not this_month["finished"]
        and not any(_received_in(record, months[-1]) for record in overdue),
        "chart": chart,
        "year": today.year,
        "month_number": today.month,
    }


def _received_in(record: dict, month: str) -> bool:
    """Whether ``record`` is a complaint received in ``month`` ("2026-03")."""
    received = (record.get("data") or {}).get("received_at") or ""
    return record.get("type") == "complaint_sheet" and received[:7] == month


def _last_months(year: int, month: int, count: int):
    out = []
    for _step in range(count):
        out.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(out))
