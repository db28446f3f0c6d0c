"""The JSON API under ``/api/v1`` (session cookie or ``Authorization: Bearer``)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_login import current_user

from portal.security import roles_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/me")
@roles_required()
def me():
    """Who the caller is: user name, name, roles and department."""
    department = current_user.department_or_none
    return jsonify(
        username=current_user.username,
        full_name=current_user.full_name,
        roles=list(current_user.roles),
        department=department.code if department else None,
    )
