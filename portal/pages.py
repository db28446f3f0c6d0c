"""Portal pages outside the back office."""

from __future__ import annotations

from flask import Blueprint, render_template

from portal.security import roles_required

bp = Blueprint("pages", __name__)


@bp.route("/")
@roles_required()
def home():
    return render_template("home.html")
