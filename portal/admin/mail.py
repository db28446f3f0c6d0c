"""The pages of e-mail: the kinds of notice each person receives (on My
account) and, for administrators, the outgoing messages (what would be sent
while no SMTP server is configured)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin.base import RoleGuard
from portal.models import User
from portal.workers.mail import record_link, render, smtp_configured
from records.notifications import COLLECTION, KINDS
from records.permissions import MANAGE_USERS
from records.store import database

PAGE_SIZE = 100


def notice_choices(user) -> list[tuple[str, str, bool]]:
    """(kind, label, on) for My account."""
    off = set(user.mail_off or ())
    return [(kind, _(label), kind not in off) for kind, label in KINDS.items()]


def save_notice_choices():
    """My account's form: the kinds ticked stay on, the others are turned off."""
    wanted = set(request.form.getlist("kinds"))
    off = sorted(kind for kind in KINDS if kind not in wanted)
    User.objects(pk=current_user.pk).update(set__mail_off=off)
    flash(_("Your e-mail notices were saved."), "success")
    return redirect(url_for("account.index"))


class OutboxView(RoleGuard, BaseView):
    """Administrators: the latest messages of the outbox, as their recipients
    read them, with whether and when each was sent."""

    permission = MANAGE_USERS

    @expose("/")
    def index(self):
        base_url = current_app.config["BASE_URL"]
        rows = []
        for entry in database()[COLLECTION].find().sort("created_at", -1).limit(PAGE_SIZE):
            subject, body = render(entry, base_url)
            rows.append(
                {
                    "entry": entry,
                    "subject": subject,
                    "body": body,
                    "link": record_link(base_url, entry),
                }
            )
        return self.render(
            "admin/outbox.html", rows=rows, sending=smtp_configured(current_app.config)
        )
