"""Portal pages outside the back office."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user

from portal.actors import actor_for
from portal.pages.display import due_text, expected_steps, state_label, type_title
from portal.pages.reports import dashboard_figures
from portal.security import permission_required
from records import worklists

bp = Blueprint("pages", __name__)

HOME_TASKS = 10


@bp.route("/")
@permission_required()
def home():
    actor = actor_for(current_user._get_current_object())
    tasks = worklists.my_tasks(actor, limit=HOME_TASKS + 1)
    return render_template(
        "home.html",
        tasks=tasks[:HOME_TASKS],
        dash=dashboard_figures(actor),
        rate_text=_rate_text,
        more_tasks=len(tasks) > HOME_TASKS,
        due_text=due_text,
        state_label=state_label,
        type_title=type_title,
        expected=lambda row: expected_steps(actor, row),
    )


def _rate_text(value: float | None) -> str:
    return _("no data") if value is None else f"{value * 100:.1f}%"
