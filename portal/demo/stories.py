"""The demo's stories: each record of each form lived step by step, by the
person whose step it is, and the plan that spreads them over the history."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from collections.abc import Generator
from datetime import date, datetime, timedelta
from datetime import time as clock_time

from portal.actors import actor_for
from portal.demo.data import (
    COMMUNITIES,
    COMPANIES,
    COMPLAINTS,
    CONTACT_TITLES,
    CONTROLLERS,
    DELAY_REASONS,
    DEPARTMENT_WEIGHTS,
    DEPARTMENTS,
    DIRECTOR,
    FEEDBACK,
    HANDOVER_EVENTS,
    HANDOVER_SERIOUS,
    INQUIRIES,
    MAJOR_FACTS,
    NONCONFORMITIES,
    ON_SITE,
    PROCEDURES,
    PROPERTY_COMPANIES,
    QUALITY_MANAGER,
    QUESTIONNAIRE_LEVELS,
    QUESTIONNAIRE_OPINIONS,
    REJECTIONS,
    REVISIT_FEEDBACK,
    ROOT_CAUSES,
    SERVICES,
    SEVERITY_NAMES,
    SUBJECT_NAMES,
    SURNAMES,
    SURVEY_OPINIONS,
    TECHNICAL_MANAGER,
    USERS,
    is_heating_season,
)
from portal.demo.scheduler import (
    Scheduler,
    Story,
)
from portal.models import User
from records import clock
from records.access import Actor
from records.calendar import WorkingCalendar
from records.complaints import REVISIT_ALL, higher, time_severity
from records.operations import create_record, revise_record, transition_record
from records.store import database
from records.worklists import issue_reminder, open_capa

#: How far back the demo's history reaches.
HISTORY_DAYS = 300


def _signer(user: User, password: str) -> Actor:
    """The user's actor, checking the password once (argon2 takes ~0.1 s)."""
    actor = actor_for(user)
    check = actor.verify_password
    confirmed: dict[str, bool] = {}

    def verify(given: str) -> bool:
        if given not in confirmed:
            confirmed[given] = bool(check(given))
        return confirmed[given]

    return dataclasses.replace(actor, verify_password=verify)


# --- the demo -----------------------------------------------------------------


class Demo:
    """What the stories share: people, clock, random numbers and the steps."""

    def __init__(
        self,
        rng: random.Random,
        password: str,
        users: dict[str, User],
        scheduler: Scheduler,
        calendar: WorkingCalendar,
    ):
        self.rng = rng
        self.password = password
        self.scheduler = scheduler
        self.calendar = calendar
        self.actors = {name: _signer(user, password) for name, user in users.items()}
        self.staff = {}
        for spec in USERS:
            if "staff" in spec.roles:
                self.staff.setdefault(spec.department, []).append(spec.username)
        self.escalated = 0

    # time

    @property
    def now(self) -> datetime:
        return self.scheduler.now

    @property
    def today(self) -> date:
        return self.now.date()

    def office(self, moment: datetime) -> datetime:
        """``moment``, or the next office hour (8:30-17:30 on working days)."""
        moment = moment.replace(second=0, microsecond=0)
        while True:
            if self.calendar.is_working(moment.date()):
                opens = datetime.combine(moment.date(), clock_time(8, 30))
                if moment < opens:
                    return opens + timedelta(minutes=self.rng.randint(0, 50))
                if moment <= datetime.combine(moment.date(), clock_time(17, 30)):
                    return moment
            moment = datetime.combine(moment.date() + timedelta(days=1), clock_time(0))

    def hours(self, low: float, high: float) -> datetime:
        """Some office time from now."""
        return self.office(
            self.now + timedelta(minutes=self.rng.randint(int(low * 60), int(high * 60)))
        )

    def days(self, low: float, high: float) -> datetime:
        return self.office(
            self.now + timedelta(minutes=self.rng.randint(int(low * 1440), int(high * 1440)))
        )

    def working_days_ago(self, days: int, end: datetime) -> datetime:
        """Office time on the ``days``-th working day before ``end``'s day."""
        day = end.date()
        while days:
            day -= timedelta(days=1)
            if self.calendar.is_working(day):
                days -= 1
        return datetime.combine(day, clock_time(9, self.rng.randint(0, 59)))

    def local(self, moment: datetime) -> datetime:
        return clock.to_local(moment)

    # people

    def actor(self, username: str) -> Actor:
        return self.actors[username]

    def controller(self) -> str:
        return self.rng.choice(CONTROLLERS)

    def handler(self, department: str) -> str:
        return self.rng.choice(self.staff[department])

    def name(self, username: str) -> str:
        return self.actors[username].full_name

    # steps

    def create(self, who: str, type_name: str, data: dict, department: str | None = None) -> str:
        return create_record(self.actor(who), type_name, data, department=department).number

    def step(self, who: str, number: str, name: str, comment: str | None = None, **changes) -> None:
        transition_record(
            self.actor(who),
            number,
            name,
            comment=comment,
            password=self.password,
            changes=changes or None,
        )

    def revise(self, who: str, number: str, changes: dict, reason: str) -> None:
        doc = self.doc(number)
        revise_record(self.actor(who), number, changes, base_version=doc["version"], reason=reason)

    def doc(self, number: str) -> dict:
        return database().records.find_one({"number": number})

    # values

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(("先生", "女士"))

    def phone(self) -> str:
        rng = self.rng
        return f"1{rng.choice('3589')}{rng.randint(0, 9)}****{rng.randint(0, 9999):04d}"

    def address(self, community: str | None = None) -> tuple[str, str, str]:
        community = community or self.rng.choice(COMMUNITIES)
        building = f"{self.rng.randint(1, 24)}号楼{self.rng.randint(1, 4)}单元"
        room = f"{self.rng.randint(1, 18)}{self.rng.randint(1, 4):02d}"
        return community, building, f"滨江区{community}{building}{room}室"

    def customer(self, kind: str) -> dict:
        """Customer, contact and address of a complaint or a service."""
        if kind == "resident":
            community, building, address = self.address()
            person = self.person()
            return {
                "customer": f"{community}住户 {person}",
                "contact": f"{person} {self.phone()}",
                "address": address,
                "community": community,
                "building": building,
                "person": person,
            }
        company = self.rng.choice(PROPERTY_COMPANIES if kind == "property" else COMPANIES)
        person = self.rng.choice(SURNAMES) + self.rng.choice(CONTACT_TITLES)
        community, building, _address = self.address()
        return {
            "customer": company,
            "contact": f"{person} {self.phone()}",
            "address": f"高新区{self.rng.choice(('科技', '创业', '长江', '黄河'))}路"
            f"{self.rng.randint(1, 300)}号",
            "community": community,
            "building": building,
            "company": company,
        }


@dataclasses.dataclass
class _Complaint:
    received: datetime
    fate: str = "normal"
    department: str = ""
    template: dict = dataclasses.field(default_factory=dict)
    receiver: str = ""
    handler: str = ""
    channel: str = "hotline"
    major: tuple[str, str] | None = None
    #: The state the story stops in (None: as far as time allows).
    stop: str | None = None


def _fill(text: str, values: dict) -> str:
    return text.format(**values)


def _complaint_data(demo: Demo, spec: _Complaint) -> dict:
    template = spec.template
    people = demo.customer(template["kind"])
    values = {
        **people,
        "serial": f"{demo.rng.randint(100000, 999999)}",
        "report": f"JC{spec.received:%Y}-{demo.rng.randint(1000, 9999)}",
        "n": demo.rng.randint(3, 12),
    }
    description = _fill(template["description"], values)
    data = {
        "title": template["title"],
        "received_at": spec.received.isoformat(timespec="minutes"),
        "channel": spec.channel,
        "customer": _fill(template.get("customer", "{customer}"), values),
        "contact": people["contact"],
        "address": people["address"],
        "description": description,
        "customer_request": template["request"],
        "complainants": template.get("complainants", 1),
        "urgent": bool(template.get("urgent")),
    }
    if spec.major:
        flag, text = spec.major
        data[flag] = True
        data["description"] = f"{description}{text}"
    if spec.fate == "lowered":
        data["complainants"] = 3
    return data


def complaint_story(demo: Demo, spec: _Complaint) -> Story:
    """One complaint from receipt to closure, as far as its fate and time go."""
    data = _complaint_data(demo, spec)
    number = demo.create(spec.receiver, "complaint_sheet", data)
    if spec.fate == "void":
        yield demo.hours(0.5, 3)
        demo.step(
            demo.controller(),
            number,
            "void",
            comment="客户来电说明与前一日投诉为同一事项，重复登记，作废。",
        )
        return
    if spec.stop == "received":
        return
    yield demo.hours(0.1, 0.5) if data["urgent"] else demo.hours(0.3, 3)
    yield from handle_complaint(demo, spec, number)


def _approver_for(demo: Demo, number: str) -> str:
    """The director for plans that will be major when approved, else either."""
    doc = demo.doc(number)
    data = doc["data"]
    by_time, _since = time_severity(
        datetime.fromisoformat(data["received_at"]), clock.from_local(demo.now), demo.calendar
    )
    if higher(data.get("severity"), data.get("suggested_severity"), by_time) == "major":
        return DIRECTOR
    return demo.rng.choice((DIRECTOR, TECHNICAL_MANAGER, TECHNICAL_MANAGER))


def handle_complaint(demo: Demo, spec: _Complaint, number: str, reopened: bool = False) -> Story:
    rng = demo.rng
    template = spec.template
    dispatch = {
        "department": spec.department,
        "handler": spec.handler,
        "subject": template["subject"],
        "responsibility": template["resp"],
    }
    if spec.fate == "lowered":
        dispatch.update(
            severity="important",
            severity_reason="三位投诉人为同一户的家庭成员，实为同一诉求，按重要投诉处理。",
        )
    controller = demo.controller()
    if spec.fate == "redispatch" and not reopened:
        # First sent to the heating company, which finds it is the meter's fault.
        demo.step(
            controller,
            number,
            "dispatch",
            **{**dispatch, "department": "HEAT", "handler": demo.handler("HEAT")},
        )
        yield demo.hours(1, 4)
        demo.step(
            controller,
            number,
            "redispatch",
            comment=f"经供热分公司核实系热量表故障，属{dict(DEPARTMENTS)[spec.department]}"
            "职责范围，改派。",
            department=spec.department,
            handler=spec.handler,
        )
    else:
        demo.step(controller, number, "dispatch", **dispatch)
    handler = spec.handler
    if spec.stop == "dispatched":
        return
    department = demo.doc(number)["department"]
    if spec.fate.startswith("stalled"):
        due = demo.local(demo.doc(number)["due_at"])
        yield demo.office(due + timedelta(hours=9, minutes=rng.randint(0, 120)))
        reminder = issue_reminder(
            demo.actor(controller),
            number,
            f"{number}（{template['title']}）的处理方案已逾期，请于两个工作日内提交，"
            "逾期将纳入月度考核。",
        )["number"]
        if spec.fate == "stalled_unanswered":
            return
        yield demo.hours(2, 20)
        promised = demo.today + timedelta(days=rng.randint(2, 5))
        demo.step(
            handler,
            reminder,
            "answer",
            delay_reason=rng.choice(DELAY_REASONS),
            new_date=promised.isoformat(),
        )
        if spec.fate == "stalled_open":
            return
        yield demo.office(datetime.combine(promised, clock_time(10)))
    else:
        yield demo.hours(1, 12)
    demo.step(handler, number, "submit_plan", plan=template["plan"])
    if spec.stop == "plan_submitted":
        return
    yield demo.hours(0.5, 6)
    if spec.fate == "returned":
        demo.step(
            _approver_for(demo, number),
            number,
            "return_plan",
            comment="方案未明确整改责任人和完成时限，请补充后重新提交。",
        )
        yield demo.hours(2, 16)
        demo.step(
            handler,
            number,
            "submit_plan",
            plan=f"{template['plan']}责任人：{demo.name(handler)}；"
            f"完成时限：{(demo.today + timedelta(days=3)).isoformat()}。",
        )
        yield demo.hours(0.5, 5)
    demo.step(_approver_for(demo, number), number, "approve_plan")
    if spec.stop == "approved":
        return
    yield demo.hours(2, 20)
    capa = spec.fate in ("capa_not_effective", "capa_overdue") or (
        template["capa"] and not reopened and spec.fate != "rejected" and rng.random() < 0.6
    )
    method = (
        rng.choice(("phone", "phone", "email", "letter", "fax"))
        if template["kind"] != "resident"
        else rng.choice(("phone", "phone", "phone", "letter"))
    )
    demo.step(
        handler,
        number,
        "reply",
        reply_method=method,
        reply_date=demo.today.isoformat(),
        reply_content=template["reply"],
        capa_required=capa,
    )
    if spec.stop == "replied":
        return
    yield demo.days(1, 3)
    if spec.fate in ("rejected", "rejected_open") and not reopened:
        demo.step(demo.controller(), number, "reject", comment=rng.choice(REJECTIONS))
        new_number = demo.doc(number)["data"]["reopened_as"]
        again = dataclasses.replace(
            spec,
            fate="normal",
            handler=demo.handler(department),
            stop="plan_submitted" if spec.fate == "rejected_open" else None,
        )
        demo.scheduler.spawn(
            demo.hours(0.5, 3), handle_complaint(demo, again, new_number, reopened=True)
        )
        return
    demo.step(demo.controller(), number, "accept")
    if capa:
        yield demo.hours(2, 24)
        opener = rng.choice((*CONTROLLERS, QUALITY_MANAGER))
        planned = demo.today + timedelta(days=rng.randint(10, 25))
        capa_number = open_capa(demo.actor(opener), number, planned)["number"]
        verified = yield from capa_story(
            demo,
            capa_number,
            handler,
            template["subject"],
            "not_effective"
            if spec.fate == "capa_not_effective"
            else "overdue"
            if spec.fate == "capa_overdue"
            else "normal",
        )
        if not verified:
            return
    yield demo.days(1, 4)
    severity = demo.doc(number)["data"].get("severity")
    # Every important, hot or major complaint is revisited, most general ones too.
    if severity in REVISIT_ALL or rng.random() < 0.8:
        revisit(demo, number, in_person=severity == "major" or rng.random() < 0.2)
        yield demo.hours(1, 24)
    demo.step(demo.controller(), number, "close", result=template["result"])


def revisit(demo: Demo, number: str, in_person: bool) -> None:
    doc = demo.doc(number)
    visitor = demo.controller()
    satisfaction, feedback = demo.rng.choice(REVISIT_FEEDBACK)
    demo.create(
        visitor,
        "revisit_record",
        {
            "customer": doc["data"]["customer"],
            "contact": doc["data"].get("contact"),
            "complaint": number,
            "service": f"投诉处理回访：{doc['data']['title']}",
            "revisit_date": demo.today.isoformat(),
            "method": "visit" if in_person else "phone",
            "visitor": demo.name(visitor)
            if not in_person
            else f"{demo.name(visitor)}、{demo.name(demo.handler(doc['department']))}",
            "feedback": feedback,
            "satisfaction": satisfaction,
        },
    )


def capa_story(
    demo: Demo, number: str, responsible: str, subject: str, fate: str
) -> Generator[datetime, None, bool]:
    """A corrective action until verified effective; answers whether it was."""
    rng = demo.rng
    yield demo.hours(2, 30)
    demo.revise(responsible, number, {"root_cause": ROOT_CAUSES[subject]}, reason="补充原因分析")
    planned = date.fromisoformat(demo.doc(number)["data"]["planned_date"])
    if fate == "overdue":
        yield demo.office(datetime.combine(planned + timedelta(days=2), clock_time(9)))
        issue_reminder(
            demo.actor(demo.controller()),
            number,
            f"纠正措施{number}已超过计划完成日期，请说明原因并确定新的完成日期。",
        )
        return False
    rounds = 2 if fate == "not_effective" else 1
    for round_ in range(1, rounds + 1):
        yield demo.office(
            datetime.combine(planned - timedelta(days=rng.randint(0, 6)), clock_time(14))
        )
        actions = demo.doc(number)["data"]["actions"]
        done = (
            "已修订作业指导书并组织相关人员培训，培训记录已存档。"
            if round_ == 1
            else "已增加班组长每日抽查，并将抽查结果纳入月度考核。"
        )
        demo.step(
            responsible,
            number,
            "complete",
            completed_date=demo.today.isoformat(),
            actions=f"{actions}\n{done}",
        )
        day, _uncovered = demo.calendar.add_working_days(demo.today, rng.randint(1, 4))
        yield demo.office(datetime.combine(day, clock_time(10)))
        if round_ < rounds:
            planned = demo.today + timedelta(days=rng.randint(7, 14))
            demo.step(
                QUALITY_MANAGER,
                number,
                "not_effective",
                comment="验证未通过，需再次采取措施。",
                verification="抽查近一个月相关记录20份，仍有2份存在同类问题，措施未有效落实。",
                planned_date=planned.isoformat(),
            )
        else:
            demo.step(
                QUALITY_MANAGER,
                number,
                "verify",
                verification="抽查近一个月相关记录20份，未再发现同类问题，措施有效。",
            )
    return True


# --- the other forms ------------------------------------------------------------


def inquiry_story(demo: Demo, received: datetime, entry: tuple, fate: str) -> Story:
    department, kind, title, request, answer = entry
    rng = demo.rng
    people = demo.customer("resident" if department in ("HEAT", "AS", "CS") else "company")
    handler = demo.handler(department)
    urgent = kind == "quick_project" and rng.random() < 0.6
    # The hotline operator (staff of the service centre) files inquiries that
    # the centre answers; those for another department go through a controller.
    by_operator = rng.random() >= 0.7 and department == "CS"
    creator = "zhengyu" if by_operator else demo.controller()
    number = demo.create(
        creator,
        "inquiry_sheet",
        {
            "title": title,
            "received_at": received.isoformat(timespec="minutes"),
            "channel": rng.choice(("hotline", "hotline", "online", "email", "visit")),
            "kind": kind,
            "customer": people["customer"],
            "contact": people["contact"],
            "request": request,
            "urgent": urgent,
            "department": department,
            "handler": handler,
        },
    )
    if fate == "void":
        yield demo.hours(0.5, 2)
        demo.step(demo.controller(), number, "void", comment="客户来电撤回咨询。")
        return
    if fate == "open":
        return
    if fate == "overdue":
        yield demo.office(received + timedelta(days=2))
        issue_reminder(
            demo.actor(demo.controller()),
            number,
            f"咨询单{number}已超过24小时未答复，请尽快答复客户。",
        )
        return
    yield demo.hours(0.3, 2.5) if urgent else demo.hours(1, 16)
    demo.step(
        handler, number, "answer", answer=answer, answered_at=demo.now.isoformat(timespec="minutes")
    )


def service_sheet_story(demo: Demo, moment: datetime, department: str, fate: str) -> Story:
    rng = demo.rng
    kind, problem, work, fee = rng.choice(SERVICES[department])
    technician = demo.handler(department)
    person = demo.person()
    community, _building, address = demo.address()
    number = demo.create(
        technician,
        "customer_service_sheet",
        {
            "customer": f"{community}住户 {person}",
            "contact": f"{person} {demo.phone()}",
            "address": address,
            "service_date": moment.date().isoformat(),
            "service_kind": kind,
            "description": problem,
            "fee": fee,
            "technician": demo.name(technician),
        },
    )
    if fate == "void":
        yield demo.hours(1, 4)
        demo.step(demo.controller(), number, "void", comment="客户取消预约，服务单作废。")
        return
    if fate == "open":
        return
    if fate == "overdue":
        yield demo.office(moment + timedelta(days=17))
        reminder = issue_reminder(
            demo.actor(demo.controller()),
            number,
            f"客户服务单{number}已超过半个月未交回，请尽快交回客服中心。",
        )
        yield demo.hours(2, 24)
        demo.step(
            technician,
            reminder["number"],
            "answer",
            delay_reason="客户外出，签字联尚未取回。",
            new_date=(demo.today + timedelta(days=rng.randint(2, 4))).isoformat(),
        )
        return
    yield demo.days(1, 12)
    demo.step(
        technician,
        number,
        "return",
        work_done=work,
        customer_signed=True,
        returned_on=demo.today.isoformat(),
    )
    if rng.random() < 0.35:
        yield demo.days(1, 5)
        satisfaction, feedback = rng.choice(REVISIT_FEEDBACK[:5])
        visitor = demo.controller()
        demo.create(
            visitor,
            "revisit_record",
            {
                "customer": f"{community}住户 {person}",
                "service": f"上门服务回访：{problem}",
                "revisit_date": demo.today.isoformat(),
                "method": "phone",
                "visitor": demo.name(visitor),
                "feedback": feedback,
                "satisfaction": satisfaction,
            },
        )


def survey_story(demo: Demo, moment: datetime, department: str, fate: str) -> Story:
    rng = demo.rng
    staff = demo.handler(department)
    company = rng.choice(COMPANIES)
    content = rng.choice(ON_SITE[department]).format(n=rng.randint(2, 8))
    number = demo.create(
        staff,
        "service_survey",
        {
            "customer": company,
            "contact": f"{rng.choice(SURNAMES)}{rng.choice(CONTACT_TITLES)} {demo.phone()}",
            "service_date": moment.date().isoformat(),
            "service_content": content,
        },
    )
    if fate != "returned":
        return
    day, _uncovered = demo.calendar.add_working_days(moment.date(), rng.randint(2, 12))
    yield demo.office(datetime.combine(day, clock_time(10)))
    rating = ("satisfied", "satisfied", "satisfied", "basically")
    demo.step(
        staff,
        number,
        "return",
        returned_on=demo.today.isoformat(),
        customer_signed=True,
        attitude=rng.choice(rating),
        timeliness=rng.choice((*rating, "dissatisfied")),
        quality=rng.choice(rating),
        opinion=rng.choice(SURVEY_OPINIONS),
    )


def questionnaire_story(demo: Demo, moment: datetime, year: int, fate: str) -> Story:
    from records.scoring import ITEM_FIELDS

    rng = demo.rng
    kind = rng.choice(("company", "company", "property", "resident"))
    people = demo.customer(kind)
    unhappy = rng.random() < 0.12
    weights = (1, 2, 3, 4, 6, 4, 3) if unhappy else (30, 40, 15, 8, 4, 2, 1)
    items = {name: rng.choices(QUESTIONNAIRE_LEVELS, weights)[0] for name in ITEM_FIELDS}
    if fate == "open":
        items = dict(list(items.items())[: rng.randint(5, 10)])
    verified = rng.choice((0, 0, 0, 0, 1, 1, 2)) if not unhappy else rng.randint(1, 3)
    serious = rng.randint(0, verified)
    creator = demo.controller() if rng.random() < 0.7 else "zhengyu"
    number = demo.create(
        creator,
        "satisfaction_questionnaire",
        {
            "customer": people["customer"],
            "contact": people["contact"],
            "survey_year": year,
            **items,
            "verified_complaints": verified,
            "serious_complaints": serious,
            "opinion": rng.choice(QUESTIONNAIRE_OPINIONS) or None,
        },
    )
    if fate == "open":
        return
    yield demo.hours(1, 30)
    demo.step(creator, number, "file")


def analysis_story(demo: Demo, start: date, end: date, title: str, approve: bool) -> Story:
    db = database()
    complaints = list(
        db.records.find(
            {
                "type": "complaint_sheet",
                "data.received_at": {
                    "$gte": start.isoformat(),
                    "$lt": (end + timedelta(days=1)).isoformat(),
                },
            },
            {"state": 1, "data.severity": 1, "data.subject": 1},
        )
    )
    closed = sum(1 for c in complaints if c["state"] == "closed")
    severities = Counter(c["data"].get("severity") for c in complaints)
    subjects = Counter(c["data"].get("subject") for c in complaints if c["data"].get("subject"))
    query = {
        "type": "satisfaction_questionnaire",
        "state": "filed",
        "created_at": {
            "$gte": clock.from_local(datetime.combine(start, clock_time(0))),
            "$lt": clock.from_local(datetime.combine(end + timedelta(days=1), clock_time(0))),
        },
    }
    scores = [float(q["data"]["score"]) for q in db.records.find(query, {"data.score": 1})]
    satisfied = sum(1 for s in scores if s >= 70)
    top = "、".join(f"{SUBJECT_NAMES[s]}{n}件" for s, n in subjects.most_common(3)) or "无"
    severity_text = "，".join(
        f"{SEVERITY_NAMES[s]}{severities[s]}件"
        for s in ("major", "hot", "important", "general")
        if severities[s]
    )
    number = demo.create(
        demo.controller(),
        "satisfaction_analysis",
        {
            "title": title,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "questionnaires": len(scores),
            "average_score": f"{sum(scores) / len(scores):.1f}" if scores else None,
            "satisfied_rate": f"{100 * satisfied / len(scores):.1f}%" if scores else None,
            "complaints_summary": f"本期共受理顾客投诉{len(complaints)}件，已关闭{closed}件"
            f"（{severity_text or '无'}）。",
            "analysis": f"投诉主要集中在{top}。供暖期报修量大，派单和上门时效是影响满意度的主要"
            "因素；技术类投诉多与报告、证书审核把关不严有关。",
            "improvements": "1. 加强报告、证书双人复核；2. 供暖期增加客服坐席和抢修人员；"
            "3. 落实投诉进度回告制度；4. 对重复投诉开展专项分析。",
        },
    )
    if not approve:
        return
    yield demo.days(2, 6)
    demo.step(demo.rng.choice((DIRECTOR, QUALITY_MANAGER)), number, "approve")


def nonconformity_story(demo: Demo, found: datetime, entry: tuple, fate: str) -> Story:
    department, title, item, description, grade, disposition, cause = entry
    rng = demo.rng
    internal_audit = rng.random() < 0.4
    creator = demo.controller() if internal_audit else demo.handler(department)
    number = demo.create(
        creator,
        "nonconformity_report",
        {
            "title": title,
            "found_on": found.date().isoformat(),
            "found_by": f"内审员 {demo.name(QUALITY_MANAGER)}"
            if internal_audit
            else demo.name(creator),
            "department": department,
            "work_item": item,
            "description": description,
            "grade": grade,
        },
    )
    if fate == "open":
        return
    yield demo.days(1, 3)
    capa = grade == "serious"
    demo.step(
        demo.handler(department),
        number,
        "disposition",
        disposition=disposition,
        cause=cause,
        capa_required=capa,
    )
    if fate == "dispositioned":
        return
    if capa:
        yield demo.hours(2, 20)
        responsible = demo.handler(department)
        # worklists.open_capa copies the complaint's plan into the actions;
        # a nonconformity has none, so the report is created here (see report).
        capa_number = demo.create(
            QUALITY_MANAGER,
            "capa_report",
            {
                "title": title[:120],
                "source": number,
                "problem": description,
                "actions": f"针对“{cause}”：修订相关程序，组织培训并明确岗位职责。",
                "department": department,
                "responsible": responsible,
                "planned_date": (demo.today + timedelta(days=rng.randint(10, 20))).isoformat(),
            },
            department=department,
        )
        yield from capa_story(demo, capa_number, responsible, "technical", "normal")
    yield demo.days(1, 4)
    demo.step(
        QUALITY_MANAGER,
        number,
        "close",
        verification="处置已完成，抽查相关记录未再发现同类问题，同意关闭。",
    )


def feedback_story(demo: Demo, reported: datetime, entry: tuple, fate: str) -> Story:
    product, model, problem, reported_by = entry
    rng = demo.rng
    controller = demo.controller()
    number = demo.create(
        controller,
        "quality_feedback",
        {
            "product": product,
            "model": model,
            "batch": f"{reported:%Y}-{rng.randint(1, 12):02d}{rng.choice('ABC')}",
            "customer": rng.choice(PROPERTY_COMPANIES),
            "reported_by": reported_by,
            "reported_on": reported.date().isoformat(),
            "problem": f"{product}（{model}）{problem}，共{rng.randint(3, 40)}台。",
            "quantity": rng.randint(3, 40),
        },
    )
    if fate == "reported":
        return
    yield demo.hours(1, 8)
    handler = demo.handler("AS")
    demo.step(controller, number, "forward", department="AS", handler=handler)
    if fate == "forwarded":
        return
    yield demo.days(2, 8)
    demo.step(
        handler,
        number,
        "handle",
        action="现场抽查并联系厂家分析原因，对故障产品免费更换，同批次产品加强入库检验。",
    )
    if fate == "capa":
        yield demo.hours(2, 24)
        capa_number = demo.create(
            QUALITY_MANAGER,
            "capa_report",
            {
                "title": f"{product}质量问题纠正措施",
                "source": number,
                "problem": demo.doc(number)["data"]["problem"],
                "actions": "要求供方提交质量改进报告；对该型号产品入库检验由抽检改为全检三个月。",
                "department": "AS",
                "responsible": handler,
                "planned_date": (demo.today + timedelta(days=rng.randint(14, 30))).isoformat(),
            },
            department="AS",
        )
        yield from capa_story(demo, capa_number, handler, "product_quality", "normal")


#: The handover log's shifts as the dispatchers name them.
SHIFT_NAMES = {"night": "夜班", "day": "白班", "middle": "中班"}


def handover_story(demo: Demo, start: datetime, fate: str) -> Story:
    rng = demo.rng
    outgoing, incoming = rng.sample(demo.staff["HEAT"], 2)
    hour = start.hour
    shift = "night" if hour < 8 else "day" if hour < 16 else "middle"
    values = {
        "n": rng.randint(3, 15),
        "m": rng.randint(1, 3),
        "community": rng.choice(COMMUNITIES),
        "building": f"{rng.randint(1, 20)}号楼",
    }
    events = "\n".join(e.format(**values) for e in rng.sample(HANDOVER_EVENTS, 2))
    serious = rng.choice(HANDOVER_SERIOUS).format(**values) if rng.random() < 0.2 else None
    number = demo.create(
        outgoing,
        "handover_log",
        {
            "title": f"供热调度{start:%m月%d日}{SHIFT_NAMES[shift]}交接",
            "shift_date": start.date().isoformat(),
            "shift": shift,
            "handed_over_by": demo.name(outgoing),
            "taken_over_by": demo.name(incoming),
            "events": events,
            "serious_events": serious,
            "open_items": "跟踪处理未完成的报修单。" if rng.random() < 0.5 else None,
        },
    )
    if fate == "open":
        return
    yield start + timedelta(minutes=rng.randint(20, 40))
    demo.step(outgoing, number, "hand_over")
    if fate == "handed_over":
        return
    yield demo.now + timedelta(minutes=rng.randint(3, 15))
    demo.step(incoming, number, "accept")


def procedures_story(demo: Demo, start: datetime, end: datetime) -> Story:
    """The procedures in force, one revised (B/0 supersedes A/0), one in
    review, one in draft."""
    controller = CONTROLLERS[0]
    effective = {}
    for code, title, body in PROCEDURES[:5]:
        edition = "A/1" if code == "QP-11" else "A/0"
        data = {"doc_code": code, "title": title, "doc_edition": edition, "body": body}
        if code != "QP-11":
            data["effective_date"] = (start.date() + timedelta(days=10)).isoformat()
        effective[code] = demo.create(controller, "procedure_document", data)
    yield demo.hours(1, 4)
    for code, number in effective.items():
        if code != "QP-11":
            demo.step(controller, number, "submit")
    yield demo.days(1, 3)
    for code, number in effective.items():
        if code != "QP-11":
            demo.step(DIRECTOR, number, "approve")
    # QP-08 is revised after half a year: B/0 replaces A/0.
    yield demo.office(start + (end - start) / 2)
    code, title, body = PROCEDURES[1]
    revision = demo.create(
        controller,
        "procedure_document",
        {
            "doc_code": code,
            "title": title,
            "doc_edition": "B/0",
            "body": f"{body}重要及以上投诉100%回访，重大投诉由主任审批处理方案并上门回访。",
            "change_summary": "增加回访比例要求和催办单流程。",
        },
    )
    yield demo.hours(1, 6)
    demo.step(controller, revision, "submit")
    yield demo.days(1, 2)
    demo.step(DIRECTOR, revision, "return", comment="请补充一般投诉回访比例不低于60%的规定。")
    yield demo.hours(2, 20)
    demo.revise(
        controller,
        revision,
        {
            "body": f"{body}重要及以上投诉100%回访，一般投诉回访比例不低于60%；重大投诉由主任"
            "审批处理方案并上门回访。",
            "effective_date": (demo.today + timedelta(days=7)).isoformat(),
        },
        reason="按主任意见补充回访比例",
    )
    demo.step(controller, revision, "submit")
    yield demo.days(1, 2)
    demo.step(DIRECTOR, revision, "approve")
    yield demo.hours(0.5, 3)
    demo.step(
        controller,
        effective["QP-08"],
        "supersede",
        comment=f"由B/0版替代，自{(demo.today + timedelta(days=7)).isoformat()}起停止使用。",
    )
    # QP-11 A/1 waits for approval; QP-12 is being drafted.
    yield demo.office(end - timedelta(days=12))
    demo.step(controller, effective["QP-11"], "submit")
    yield demo.office(end - timedelta(days=5))
    code, title, body = PROCEDURES[5]
    demo.create(
        controller,
        "procedure_document",
        {"doc_code": code, "title": title, "doc_edition": "A/0", "body": body},
    )


# --- planning -------------------------------------------------------------------


#: Complaints whose fates the demo always shows: (fate, days before now or
#: ("wd", working days before now), state it stops in).
SPECIAL_COMPLAINTS = (
    ("normal", ("hours", 2), "received"),
    ("normal", ("wd", 1), "dispatched"),
    ("normal", ("wd", 2), "plan_submitted"),
    ("normal", ("wd", 3), "approved"),
    ("normal", ("wd", 5), "replied"),
    ("stalled_unanswered", ("wd", 8), None),
    ("stalled_open", 25, None),
    ("stalled_answered", 150, None),
    ("rejected", 200, None),
    ("rejected_open", 14, None),
    ("major", 170, None),
    ("returned", 120, None),
    ("capa_not_effective", 230, None),
    ("capa_overdue", 45, None),
    ("void", 60, None),
    ("redispatch", 80, None),
    ("lowered", 95, None),
)


def _plan_complaints(demo: Demo, count: int, end: datetime) -> list[_Complaint]:
    rng = demo.rng
    specs = []
    for fate, age, stop in SPECIAL_COMPLAINTS:
        if isinstance(age, tuple) and age[0] == "hours":
            received = end - timedelta(hours=age[1], minutes=rng.randint(0, 50))
        elif isinstance(age, tuple):
            received = demo.working_days_ago(age[1], end)
        else:
            received = demo.office(end - timedelta(days=age + rng.random()))
        specs.append(_Complaint(received=received, fate=fate, stop=stop))
    for _ in range(max(count - len(specs), 0)):
        received = end - timedelta(minutes=rng.randint(36 * 60, HISTORY_DAYS * 1440))
        if rng.random() < 0.85:
            received = demo.office(received)
        fate = rng.choices(
            ("normal", "returned", "redispatch", "rejected", "stalled_answered", "void"),
            (84, 4, 3, 3, 5, 1),
        )[0]
        specs.append(_Complaint(received=received.replace(second=0, microsecond=0), fate=fate))
    for spec in specs:
        _choose_template(demo, spec)
    return specs


def _choose_template(demo: Demo, spec: _Complaint) -> None:
    rng = demo.rng
    departments, weights = zip(*DEPARTMENT_WEIGHTS, strict=True)
    heating = is_heating_season(spec.received.date())
    while True:
        department = rng.choices(departments, weights)[0]
        if spec.fate == "redispatch":
            department = "AS"
        fits = [
            t
            for t in COMPLAINTS[department]
            if t.get("season") in (None, "heating" if heating else "off")
        ]
        if spec.fate == "lowered":
            fits = [t for t in fits if t["kind"] == "resident" and "complainants" not in t]
        if spec.fate == "redispatch":
            fits = [t for t in fits if t["subject"] == "product_quality"]
        if spec.fate in ("capa_not_effective", "capa_overdue"):
            fits = [t for t in fits if t["capa"]]
        if fits:
            break
    spec.template = rng.choice(fits)
    spec.department = department
    spec.handler = demo.handler(department)
    if spec.fate == "major":
        spec.major = rng.choice(MAJOR_FACTS)
    kind = spec.template["kind"]
    spec.channel = rng.choice(
        ("hotline", "hotline", "hotline", "online", "visit", "box")
        if kind == "resident"
        else ("hotline", "email", "letter", "fax", "visit")
    )
    # The hotline operator is the first receiver of some complaints.
    spec.receiver = "zhengyu" if rng.random() < 0.25 else demo.controller()


def _spread(
    demo: Demo, count: int, start: datetime, end: datetime, office: bool = True
) -> list[datetime]:
    moments = sorted(
        start + timedelta(minutes=demo.rng.randint(0, int((end - start).total_seconds() // 60)))
        for _ in range(count)
    )
    return [demo.office(m) if office else m for m in moments]


def plan(demo: Demo, complaints: int, start: datetime, end: datetime) -> None:
    """Put every story on the scheduler."""
    rng = demo.rng
    spawn = demo.scheduler.spawn
    for spec in _plan_complaints(demo, complaints, end):
        spawn(spec.received + timedelta(minutes=rng.randint(5, 40)), complaint_story(demo, spec))

    # Inquiries: answered, except a void one, a recent open one and two overdue.
    count = max(8, complaints // 3)
    moments = _spread(demo, count - 3, start, end - timedelta(days=3))
    inquiries = [
        (moment, "void" if index == 1 else "answered") for index, moment in enumerate(moments)
    ]
    inquiries += [
        (end - timedelta(hours=rng.randint(1, 3)), "open"),
        (demo.working_days_ago(4, end), "overdue"),
        (demo.office(end - timedelta(days=40)), "overdue"),
    ]
    for moment, fate in inquiries:
        spawn(moment, inquiry_story(demo, moment, rng.choice(INQUIRIES), fate))

    # Customer service sheets and on-site surveys: returned, some still out.
    count = max(6, complaints // 3)
    moments = _spread(demo, count, start, end - timedelta(days=20))
    for index, moment in enumerate(moments):
        fate = "void" if index == 1 else "overdue" if index == count - 1 else "returned"
        spawn(moment, service_sheet_story(demo, moment, rng.choice(("HEAT", "HEAT", "AS")), fate))
    for moment in (demo.working_days_ago(2, end), demo.working_days_ago(5, end)):
        spawn(moment, service_sheet_story(demo, moment, "HEAT", "open"))
    count = max(5, complaints // 4)
    moments = _spread(demo, count, start, end - timedelta(days=30))
    for moment in moments:
        spawn(moment, survey_story(demo, moment, rng.choice(("MET", "TEST")), "returned"))
    overdue_survey = demo.working_days_ago(20, end)
    spawn(overdue_survey, survey_story(demo, overdue_survey, "MET", "open"))
    recent_survey = demo.working_days_ago(3, end)
    spawn(recent_survey, survey_story(demo, recent_survey, "TEST", "open"))

    # Questionnaires: last year's survey at the start, this year's lately.
    count = max(6, complaints // 5)
    first = count * 3 // 5
    last_year = start.year - 1 if start.month <= 6 else start.year
    for moment in _spread(demo, first, start, start + timedelta(days=25)):
        spawn(moment, questionnaire_story(demo, moment, last_year, "filed"))
    recent = _spread(demo, count - first, end - timedelta(days=40), end - timedelta(days=2))
    for index, moment in enumerate(recent):
        fate = "open" if index >= len(recent) - 2 else "filed"
        spawn(moment, questionnaire_story(demo, moment, end.year, fate))

    # Satisfaction analyses, each quarter; the latest is still a draft.
    reports = []
    for year in range(start.year, end.year + 1):
        for quarter in range(4):
            first_day = date(year, quarter * 3 + 1, 1)
            last_day = date(year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1) - timedelta(
                days=1
            )
            written = datetime.combine(last_day + timedelta(days=10), clock_time(10))
            if first_day >= start.date() - timedelta(days=30) and written < end:
                reports.append(
                    (
                        first_day,
                        last_day,
                        f"{year}年第{quarter + 1}季度顾客满意度统计分析报告",
                        written,
                    )
                )
    for index, (first_day, last_day, title, written) in enumerate(reports):
        spawn(
            demo.office(written),
            analysis_story(demo, first_day, last_day, title, approve=index < len(reports) - 1),
        )

    # Nonconformities and product quality feedback.
    count = max(4, complaints // 10)
    moments = _spread(demo, count, start, end - timedelta(days=10))
    for index, moment in enumerate(moments):
        fate = "open" if index == count - 1 else "dispositioned" if index == count - 2 else "closed"
        entry = NONCONFORMITIES[index % len(NONCONFORMITIES)]
        if fate != "closed":
            moment = demo.working_days_ago(1 if fate == "open" else 8, end)
        spawn(moment, nonconformity_story(demo, moment, entry, fate))
    count = max(4, complaints // 10)
    moments = _spread(demo, count, start, end - timedelta(days=10))
    for index, moment in enumerate(moments):
        fate = (
            "capa"
            if index == 0
            else "reported"
            if index == count - 1
            else "forwarded"
            if index == count - 2
            else "handled"
        )
        if fate in ("reported", "forwarded"):
            moment = demo.working_days_ago(1, end)
        spawn(moment, feedback_story(demo, moment, FEEDBACK[index % len(FEEDBACK)], fate))

    # Shift handovers of the heating company's dispatch desk.
    count = max(6, complaints // 3)
    for moment in _spread(demo, count - 2, start, end - timedelta(days=1), office=False):
        shift_end = datetime.combine(moment.date(), clock_time(rng.choice((8, 16, 23))))
        spawn(
            shift_end - timedelta(minutes=rng.randint(10, 30)),
            handover_story(demo, shift_end - timedelta(minutes=30), "accepted"),
        )
    spawn(end - timedelta(hours=9), handover_story(demo, end - timedelta(hours=9), "handed_over"))
    spawn(end - timedelta(minutes=20), handover_story(demo, end - timedelta(minutes=20), "open"))

    spawn(demo.office(start), procedures_story(demo, start, end))
