"""Back-office settings of the procedures: the working calendar (admins) and
the questionnaire scoring (controllers). Both changes are audited."""

from __future__ import annotations

import io
from datetime import date

from flask import flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.actors import actor_for, message
from portal.admin.base import RoleGuard
from records.calendar import DAYS, YEARS, mark_year_covered, seed_from_package, set_day
from records.clock import local_now
from records.errors import RecordError
from records.i18n import N_
from records.permissions import MANAGE_CALENDAR, MANAGE_FORMS
from records.scoring import DEFAULT_ITEMS, ITEMS, ScoringSettings, load_settings, save_settings
from records.store import database
from records.types import registry
from records.vocabularies import LEVELS
from records.word import templates
from records.word.forms import DOCX_TYPE
from records.word.texts import Texts


class CalendarView(RoleGuard, BaseView):
    """Admins keep the working calendar: holidays off, make-up days on."""

    permission = MANAGE_CALENDAR

    @expose("/", methods=("GET", "POST"))
    def index(self):
        actor = actor_for(current_user._get_current_object())
        year = request.values.get("year", type=int) or local_now().year
        if request.method == "POST":
            try:
                if request.form.get("action") == "seed":
                    added = seed_from_package(actor=actor)
                    flash(
                        _(
                            "Years added from the official calendar: %(years)s",
                            years=", ".join(map(str, added)) or "—",
                        ),
                        "success",
                    )
                elif request.form.get("action") == "cover":
                    mark_year_covered(actor, year)
                    flash(_("%(year)s is marked as entered in full.", year=year), "success")
                else:
                    day = date.fromisoformat(request.form.get("day", ""))
                    set_day(
                        actor, day, request.form.get("working") == "1", request.form.get("name", "")
                    )
                    flash(_("%(day)s was saved.", day=day.isoformat()), "success")
                    year = day.year
            except ValueError:
                flash(_("Not a valid value."), "error")
            except RecordError as error:
                flash(message(error), "error")
            return redirect(url_for(".index", year=year))
        db = database()
        days = list(db[DAYS].find({"year": year}).sort("_id", 1))
        covered = sorted(y["_id"] for y in db[YEARS].find({}, {"_id": 1}))
        return self.render(
            "admin/calendar.html",
            year=year,
            days=days,
            covered=covered,
            is_covered=year in covered,
            holiday_label=holiday_label,
            source_label=lambda source: _(DAY_SOURCES.get(source, source)),
        )


#: The names chinesecalendar gives its holidays (English), as people read them.
HOLIDAYS = {
    "New Year's Day": N_("New Year's Day"),
    "Spring Festival": N_("Spring Festival"),
    "Tomb-sweeping Day": N_("Tomb-sweeping Day"),
    "Labour Day": N_("Labour Day"),
    "Dragon Boat Festival": N_("Dragon Boat Festival"),
    "National Day": N_("National Day"),
    "Mid-autumn Festival": N_("Mid-autumn Festival"),
    "Anti-Fascist 70th Day": N_("Anti-Fascist 70th Day"),
}
DAY_SOURCES = {"chinesecalendar": N_("Official calendar"), "admin": N_("Entered by hand")}


def holiday_label(name: str | None) -> str:
    """A day's name in the reader's language (names typed by hand stay as typed)."""
    if not name:
        return ""
    return _(HOLIDAYS[name]) if name in HOLIDAYS else name


class ScoringView(RoleGuard, BaseView):
    """Controllers set the questionnaire's weights, coefficients and deductions."""

    permission = MANAGE_FORMS

    @expose("/", methods=("GET", "POST"))
    def index(self):
        settings = load_settings()
        if request.method == "POST":
            try:
                weights = tuple(float(request.form.get(f"weight_{n}", "")) for n in range(ITEMS))
                coefficients = {
                    level.value: float(request.form.get(f"x_{level.value}", "")) for level in LEVELS
                }
                new = ScoringSettings(
                    weights=weights,
                    coefficients=coefficients,
                    deduction=float(request.form.get("deduction", "")),
                    serious_deduction=float(request.form.get("serious_deduction", "")),
                    threshold=float(request.form.get("threshold", "")),
                    labels=tuple(request.form.get(f"label_{n}", "").strip() for n in range(ITEMS)),
                )
                save_settings(actor_for(current_user._get_current_object()), new)
            except ValueError:
                flash(_("Not a valid value."), "error")
            except RecordError as error:
                flash(message(error), "error")
            else:
                flash(
                    _("The scoring was saved; it applies to questionnaires saved from now on."),
                    "success",
                )
                return redirect(url_for(".index"))
        return self.render(
            "admin/scoring.html", settings=settings, items=DEFAULT_ITEMS, levels=LEVELS
        )


class WordTemplatesView(RoleGuard, BaseView):
    """Controllers put their own Word templates into use, one edition at a time."""

    permission = MANAGE_FORMS

    def _actor(self):
        return actor_for(current_user._get_current_object())

    @expose("/", methods=("GET", "POST"))
    def index(self):
        texts = Texts(str(get_locale()))
        chosen = request.values.get("type") or ""
        if request.method == "POST":
            try:
                if request.form.get("action") == "withdraw":
                    templates.withdraw_template(
                        self._actor(), chosen, request.form.get("reason", "")
                    )
                    flash(
                        _("The template was withdrawn; the built-in layout is used again."),
                        "success",
                    )
                else:
                    upload = request.files.get("file")
                    entry = templates.upload_template(
                        self._actor(),
                        chosen,
                        edition=request.form.get("edition", ""),
                        filename=upload.filename if upload else "",
                        content=upload.read() if upload else b"",
                        reason=request.form.get("reason", ""),
                        texts=texts,
                    )
                    flash(
                        _(
                            "Edition %(edition)s of the template is in use from now on.",
                            edition=entry["edition"],
                        ),
                        "success",
                    )
                return redirect(url_for(".index", type=chosen))
            except RecordError as error:
                flash(message(error), "error")
        locale = str(get_locale())
        types = sorted(registry, key=lambda t: t.form_code)
        record_type = registry.get(chosen)
        return self.render(
            "admin/word_templates.html",
            types=types,
            chosen=record_type,
            locale=locale,
            current={t.name: templates.in_use(t.name) for t in types},
            editions=templates.editions(chosen) if record_type else [],
            common=templates.COMMON_NAMES,
            field_label=lambda spec: (
                (record_type.custom_labels() if record_type.custom_labels else {}).get(spec.name)
                or _(spec.label)
            ),
        )

    @expose("/file/")
    def file(self):
        try:
            entry, content = templates.template_file(
                request.args.get("type", ""), request.args.get("edition", "")
            )
        except RecordError as error:
            flash(message(error), "error")
            return redirect(url_for(".index"))
        return send_file(
            io.BytesIO(content),
            mimetype=DOCX_TYPE,
            as_attachment=True,
            download_name=entry["filename"],
        )

    @expose("/starter/")
    def starter(self):
        record_type = registry.get(request.args.get("type", ""))
        if record_type is None:
            return redirect(url_for(".index"))
        content = templates.starter_template(record_type, Texts(str(get_locale())))
        return send_file(
            io.BytesIO(content),
            mimetype=DOCX_TYPE,
            as_attachment=True,
            download_name=f"{record_type.name}-template.docx",
        )
