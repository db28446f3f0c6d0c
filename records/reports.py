"""The monthly summary, quarterly analysis and yearly statistics.

A report reads the kept counts of its months (:mod:`records.measures`), never
the records, and lays them out as sections of rows: the complaint rates per
department against their targets, revisits per severity against their
quotas, counts by subject, responsibility class and severity, repairs,
customer satisfaction and the spread of the scores, and (quarter, year) the
months one by one. Each section becomes a table on the page, in Word and in
Excel; every figure names the records behind it (``Cell.drill``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from records.access import Actor, can_view
from records.errors import InvalidData
from records.i18n import N_
from records.measures import TARGETS, Figures, figures, monthly, revisits_counted
from records.operations import create_record
from records.store import database
from records.vocabularies import RESPONSIBILITY, SEVERITIES, SUBJECTS
from records.worklists import REVISIT_ALL

KINDS = {
    "month": N_("Monthly summary"),
    "quarter": N_("Quarterly analysis"),
    "year": N_("Yearly statistics"),
}
#: The monthly summary is due by this day of the following month.
MONTHLY_DUE_DAY = 25


@dataclass(frozen=True)
class Period:
    kind: str
    year: int
    number: int = 1  # month 1-12, quarter 1-4, 1 for a year

    def __post_init__(self):
        limit = {"month": 12, "quarter": 4, "year": 1}.get(self.kind)
        if limit is None or not 1 <= self.number <= limit or not 2000 <= self.year <= 2100:
            raise InvalidData(N_("There is no such period."), field="period")

    @property
    def months(self) -> list[str]:
        first = {"month": self.number, "quarter": 3 * self.number - 2, "year": 1}[self.kind]
        count = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        return [f"{self.year:04d}-{m:02d}" for m in range(first, first + count)]

    @property
    def start(self) -> date:
        return date.fromisoformat(self.months[0] + "-01")

    @property
    def end(self) -> date:
        year, month = map(int, self.months[-1].split("-"))
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return date.fromordinal(following.toordinal() - 1)

    @property
    def due(self) -> date | None:
        """When the monthly summary is due (the 25th of the month after)."""
        if self.kind != "month":
            return None
        following = self.end.toordinal() + 1
        return date.fromordinal(following).replace(day=MONTHLY_DUE_DAY)

    def label(self, texts) -> str:
        if self.kind == "month":
            return texts("%(year)d-%(month)s", year=self.year, month=f"{self.number:02d}")
        if self.kind == "quarter":
            return texts("%(year)d Q%(quarter)d", year=self.year, quarter=self.number)
        return str(self.year)

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.year}-{self.number}"


@dataclass
class Cell:
    """A figure: its value (a count, a rate or None for "no data"), how it
    reads, and the records behind it (a metric to list, or a page)."""

    value: float | None
    kind: str = "count"  # count, rate, number, text
    drill: dict | None = None
    target: float | None = None
    #: A complaint rate of a period where nothing dispatched is finished yet:
    #: 0% would read as a failure though no deadline may have passed.
    pending: bool = False

    @property
    def below_target(self) -> bool:
        return (
            self.kind == "rate"
            and self.value is not None
            and self.target is not None
            and self.value < self.target
            and not self.pending
        )


@dataclass
class Section:
    key: str
    title: str
    columns: list[str]
    rows: list[list]  # first cell a label (str), then Cells


@dataclass
class Report:
    period: Period
    title: str
    department: str | None
    sections: list[Section] = field(default_factory=list)
    totals: Figures = field(default_factory=Figures)
    trend: dict[str, Figures] = field(default_factory=dict)


def _rate(
    part: float, whole: float, target: float | None = None, drill=None, pending: bool = False
) -> Cell:
    return Cell(Figures.rate(part, whole), "rate", drill, target, pending=pending and not part)


def _none_finished(fig: Figures) -> bool:
    return bool(fig["dispatched"]) and not fig["finished"]


def build(period: Period, texts, *, department: str | None = None, db=None) -> Report:
    """The report of ``period`` (of one department, or all) in ``texts``' language."""
    db = db if db is not None else database()
    per_department = figures(period.months, [department] if department else None, db=db)
    totals = per_department[""]  # of the one department asked for, or of all
    names = {
        d["code"]: d.get("name") or d["code"]
        for d in db.departments.find({}, {"code": 1, "name": 1})
    }
    report = Report(
        period,
        f"{texts(KINDS[period.kind])} {period.label(texts)}",
        department,
        totals=totals,
        trend=monthly(period.months, [department] if department else None, db=db),
    )

    def drill(metric: str, dept: str | None) -> dict:
        return {"metric": metric, "department": dept}

    rows = []
    shown = [department] if department else sorted(k for k in per_department if k)
    for code in shown:
        fig = per_department.get(code, Figures())
        rows.append(
            _complaint_row(
                names.get(code, code) if code else texts("No department"),
                fig,
                lambda m, c=code: drill(m, c),
            )
        )
    if not department:
        rows.append(_complaint_row(texts("All departments"), totals, lambda m: drill(m, None)))
    report.sections.append(
        Section(
            "complaints",
            texts("Complaint measures"),
            [
                texts("Department"),
                texts("Received"),
                texts("Dispatched"),
                texts("Answered in time"),
                texts("Timeliness rate"),
                texts("Closed"),
                texts("Closure rate"),
                texts("Customer accepted"),
                texts("Satisfaction rate"),
            ],
            rows,
        )
    )

    revisit_rows = []
    for choice in SEVERITIES:
        severity = choice.value
        target = 1.0 if severity in REVISIT_ALL else 0.6
        closed = totals[f"closed:{severity}"]
        revisit_rows.append(
            [
                texts(choice.label),
                Cell(closed, drill=drill(f"closed:{severity}", department)),
                Cell(
                    totals[f"revisited:{severity}"],
                    drill=drill(f"revisited:{severity}", department),
                ),
                Cell(totals[f"in_person:{severity}"]),
                _rate(totals[revisits_counted(severity)], closed, target),
                Cell(target, "rate"),
            ]
        )
    report.sections.append(
        Section(
            "revisits",
            texts("Revisits of the closed complaints"),
            [
                texts("Severity"),
                texts("Closed"),
                texts("Revisited"),
                texts("In person"),
                texts("Rate"),
                texts("Target"),
            ],
            revisit_rows,
        )
    )

    for key, title, choices in (
        ("subject", texts("Complaints by subject"), SUBJECTS),
        ("responsibility", texts("Complaints by responsibility class"), RESPONSIBILITY),
        ("severity", texts("Complaints by severity"), SEVERITIES),
    ):
        counts = totals.by_prefix(key)
        rows = [
            [
                texts(c.label),
                Cell(counts.get(c.value, 0), drill=drill(f"{key}:{c.value}", department)),
                _rate(counts.get(c.value, 0), totals["complaints"]),
            ]
            for c in choices
        ]
        if counts.get("none"):
            rows.append(
                [
                    texts("Not classified yet"),
                    Cell(counts["none"]),
                    _rate(counts["none"], totals["complaints"]),
                ]
            )
        report.sections.append(
            Section(key, title, [texts("Kind"), texts("Complaints"), texts("Share")], rows)
        )

    report.sections.append(
        Section(
            "service",
            texts("Repairs and customer satisfaction"),
            [
                texts("Measure"),
                texts("Count"),
                texts("Of"),
                texts("Rate achieved"),
                texts("Target"),
            ],
            [
                [
                    texts("Repairs handled in time"),
                    Cell(totals["repairs_timely"]),
                    Cell(totals["repairs"]),
                    _rate(
                        totals["repairs_timely"], totals["repairs"], TARGETS["repair_timeliness"]
                    ),
                    Cell(TARGETS["repair_timeliness"], "rate"),
                ],
                [
                    texts("Customers basically satisfied"),
                    Cell(totals["customers_satisfied"]),
                    Cell(totals["sampled"]),
                    _rate(
                        totals["customers_satisfied"],
                        totals["sampled"],
                        TARGETS["customer_satisfaction"],
                    ),
                    Cell(TARGETS["customer_satisfaction"], "rate"),
                ],
            ],
        )
    )
    bands = totals.by_prefix("score_band")
    report.sections.append(
        Section(
            "scores",
            texts("Satisfaction scores"),
            [texts("Scores"), texts("Questionnaires")],
            [
                [texts("Mean score"), Cell(totals.mean_score, "number")],
                [texts("Spread (standard deviation)"), Cell(totals.score_spread, "number")],
                *[
                    [
                        f"{band * 10}–{band * 10 + 9 if band < 9 else 100}",
                        Cell(bands.get(str(band), 0)),
                    ]
                    for band in range(9, -1, -1)
                ],
            ],
        )
    )
    if len(period.months) > 1:
        trend_rows = []
        for month, fig in report.trend.items():
            pending = _none_finished(fig)
            trend_rows.append(
                [
                    month,
                    Cell(fig["complaints"]),
                    _rate(fig["timely"], fig["dispatched"], TARGETS["timeliness"], pending=pending),
                    _rate(fig["closed"], fig["dispatched"], TARGETS["closure"], pending=pending),
                    _rate(
                        fig["satisfied"],
                        fig["dispatched"],
                        TARGETS["satisfaction"],
                        pending=pending,
                    ),
                ]
            )
        report.sections.append(
            Section(
                "months",
                texts("Month by month"),
                [
                    texts("Month"),
                    texts("Received"),
                    texts("Timeliness rate"),
                    texts("Closure rate"),
                    texts("Satisfaction rate"),
                ],
                trend_rows,
            )
        )
    return report


def _complaint_row(label: str, fig: Figures, drill) -> list:
    pending = _none_finished(fig)
    return [
        label,
        Cell(fig["complaints"], drill=drill("complaints")),
        Cell(fig["dispatched"], drill=drill("dispatched")),
        Cell(fig["timely"], drill=drill("timely")),
        _rate(fig["timely"], fig["dispatched"], TARGETS["timeliness"], pending=pending),
        Cell(fig["closed"], drill=drill("closed")),
        _rate(fig["closed"], fig["dispatched"], TARGETS["closure"], pending=pending),
        Cell(fig["satisfied"], drill=drill("satisfied")),
        _rate(fig["satisfied"], fig["dispatched"], TARGETS["satisfaction"], pending=pending),
    ]


def cell_text(cell, texts) -> str:
    """How a figure reads: "66.7%", "no data", "12", "63.3"."""
    if not isinstance(cell, Cell):
        return str(cell)
    if cell.value is None:
        return texts("no data")
    if cell.pending:
        return texts("none finished yet")
    if cell.kind == "rate":
        return f"{cell.value * 100:.1f}%"
    if cell.kind == "number":
        return f"{cell.value:.1f}"
    return f"{cell.value:g}"


def records_behind(
    metric: str, period: Period, department: str | None, *, actor: Actor, limit: int = 2000, db=None
) -> list[dict]:
    """The records one figure counts that ``actor`` may see: the period's
    records of the measured type whose kept contribution has ``metric``
    (read by the indexed time)."""
    db = db if db is not None else database()
    if metric in ("repairs", "repairs_timely"):
        query = {
            "type": "customer_service_sheet",
            "data.service_date": {"$gte": period.start.isoformat(), "$lte": period.end.isoformat()},
        }
    elif metric in ("sampled", "customers_satisfied", "scored"):
        query = {"type": "satisfaction_questionnaire"}
    else:
        following = date.fromordinal(period.end.toordinal() + 1).isoformat()
        query = {
            "type": "complaint_sheet",
            "data.received_at": {"$gte": period.start.isoformat(), "$lt": following},
        }
    found = []
    for doc in db.records.find(query):
        part = doc.get("measure") or {}
        bucket = part.get("bucket", "")
        month, _, dept = bucket.partition("|")
        if month not in period.months or (department is not None and dept != department):
            continue
        if (part.get("counts") or {}).get(metric) and can_view(actor, doc):
            found.append(doc)
            if len(found) >= limit:
                break
    found.sort(key=lambda d: d["number"])
    return found


def file_satisfaction_analysis(actor, period: Period, texts) -> dict:
    """The period's satisfaction analysis report, filed as a controlled record
    (a draft for the controller to complete and an approver to sign)."""
    report = build(period, texts)
    totals = report.totals
    mean, rate = totals.mean_score, totals.customer_satisfaction
    complaints = "\n".join(
        f"{row[0]}: {cell_text(row[1], texts)}"
        for row in next(s for s in report.sections if s.key == "subject").rows
    )
    summary = texts(
        "%(received)s complaints received, %(dispatched)s dispatched; timeliness %(timely)s, "
        "closure %(closure)s, satisfaction %(satisfaction)s.",
        received=cell_text(Cell(totals["complaints"]), texts),
        dispatched=cell_text(Cell(totals["dispatched"]), texts),
        timely=cell_text(Cell(totals.timeliness, "rate"), texts),
        closure=cell_text(Cell(totals.closure, "rate"), texts),
        satisfaction=cell_text(Cell(totals.satisfaction, "rate"), texts),
    )
    analysis = texts(
        "%(n)s questionnaires returned; mean score %(mean)s (spread %(spread)s); "
        "%(rate)s of the customers basically satisfied (target %(target)s).",
        n=cell_text(Cell(totals["sampled"]), texts),
        mean=cell_text(Cell(mean, "number"), texts),
        spread=cell_text(Cell(totals.score_spread, "number"), texts),
        rate=cell_text(Cell(rate, "rate"), texts),
        target=cell_text(Cell(TARGETS["customer_satisfaction"], "rate"), texts),
    )
    return create_record(
        actor,
        "satisfaction_analysis",
        {
            "title": report.title,
            "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(),
            "questionnaires": int(totals["sampled"]),
            "average_score": cell_text(Cell(mean, "number"), texts),
            "satisfied_rate": cell_text(Cell(rate, "rate"), texts),
            "complaints_summary": f"{summary}\n{complaints}",
            "analysis": analysis,
        },
        reason=texts("Generated from the period's questionnaires and complaints"),
    )
