"""WTForms built from record type declarations, for the back office."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.admin.base import AdminForm
from portal.models import Department, User
from records.types import Field, RecordType


def _field(spec: Field):
    label = _l(spec.label)
    description = _l(spec.help) if spec.help else ""
    required = (
        [DataRequired(message=_l("This field is required."))] if spec.required else [Optional()]
    )
    if spec.kind == "string":
        return StringField(
            label,
            validators=[*required, Length(max=spec.max_length or 200)],
            description=description,
        )
    if spec.kind == "text":
        return TextAreaField(
            label,
            validators=[*required, Length(max=spec.max_length or 20000)],
            description=description,
            render_kw={"rows": 5},
        )
    if spec.kind == "date":
        return DateField(label, validators=required, description=description)
    if spec.kind == "datetime":
        return DateTimeLocalField(
            label, validators=required, description=description, format="%Y-%m-%dT%H:%M"
        )
    if spec.kind == "integer":
        return IntegerField(label, validators=required, description=description)
    if spec.kind == "boolean":
        return BooleanField(label, description=description)
    if spec.kind == "choice":
        choices = [SelectChoice("", "—")] + [
            SelectChoice(c.value, _l(c.label)) for c in spec.choices
        ]
        return SelectField(
            label,
            choices=choices,
            validators=required,
            description=description,
            validate_choice=True,
        )
    if spec.kind in ("department", "user"):
        # Choices are read when the form is built (see ReferenceChoices).
        return SelectField(
            label, choices=[], validators=required, description=description, validate_choice=True
        )
    if spec.kind == "record":
        return StringField(
            label,
            validators=[*required, Length(max=64)],
            description=description or _l("A record number."),
        )
    raise ValueError(spec.kind)


def department_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [
        SelectChoice(d.code, f"{d.code} {d.name}")
        for d in Department.objects(active=True).only("code", "name")
    ]


def user_choices() -> list[SelectChoice]:
    """Active users; each option names its department, so a handler list
    narrows to the chosen department's people in the browser."""
    codes = {d.pk: d.code for d in Department.objects.only("code")}
    # Raw documents: the department is its id here, not one query per user.
    users = (
        User._get_collection()
        .find({"active": True}, {"username": 1, "full_name": 1, "department": 1})
        .sort("username", 1)
        .limit(2000)
    )
    return [SelectChoice("", "—")] + [
        SelectChoice(
            u["username"],
            f"{u['full_name']} ({u['username']})",
            render_kw={"data-department": codes.get(u.get("department"), "")},
        )
        for u in users
    ]


class ReferenceChoices:
    """Fills department and user choices from the database for each form."""

    reference_fields: tuple[tuple[str, str], ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        loaded = {}
        for name, kind in self.reference_fields:
            if name in self:
                if kind not in loaded:
                    loaded[kind] = (
                        department_choices() if kind == "department" else (user_choices())
                    )
                self[name].choices = loaded[kind]
                if kind == "user" and "department" in self:
                    # The server still checks the pair (the handler's department).
                    self[name].render_kw = {
                        **(self[name].render_kw or {}),
                        "data-narrow-by": "department",
                    }


def record_form_class(
    record_type: RecordType,
    only: tuple[str, ...] | None = None,
    base=AdminForm,
    extra: dict | None = None,
) -> type[AdminForm]:
    """A form with one input per declared field people type in (or ``only``
    those), plus the version it edits and the reason for the change."""
    specs = [f for f in record_type.input_fields if only is None or f.name in only]
    attributes = {spec.name: _field(spec) for spec in specs}
    attributes["reference_fields"] = tuple(
        (spec.name, spec.kind) for spec in specs if spec.kind in ("department", "user")
    )
    attributes["base_version"] = HiddenField()
    if extra is not None:
        attributes.update(extra)
    else:
        attributes["reason"] = StringField(
            _l("Reason for the change"),
            validators=[Optional(), Length(max=500)],
            description=_l("Recorded with the new version."),
        )
    return type(f"{record_type.name.title()}Form", (ReferenceChoices, base), attributes)


def form_values(record_type: RecordType, form) -> dict:
    """The declared fields' values from a submitted form, for the operations.

    Fields the form does not carry (computed ones, or confidential ones the
    user may not see) are left out, so they keep their stored values."""
    values = {}
    for spec in record_type.fields:
        if spec.name not in form:
            continue
        value = form[spec.name].data
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        values[spec.name] = value
    return values


class TransitionForm(AdminForm):
    transition = HiddenField()
    base_version = HiddenField()
    comment = TextAreaField(
        _l("Comment"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    password = PasswordField(
        _l("Your password (electronic signature)"),
        validators=[Optional(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class ReasonForm(AdminForm):
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(message=_l("This field is required.")), Length(max=500)],
    )
    base_version = HiddenField()
    target = HiddenField()
