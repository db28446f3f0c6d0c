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

from portal.admin_base import AdminForm
from records.types import Field, RecordType


def _field(spec: Field):
    label = _l(spec.label)
    description = _l(spec.help) if spec.help else ""
    required = [DataRequired(message=_l("This field is required."))] if spec.required else [
        Optional()]
    if spec.kind == "string":
        return StringField(label, validators=[*required, Length(max=spec.max_length or 200)],
                           description=description)
    if spec.kind == "text":
        return TextAreaField(label, validators=[*required, Length(max=spec.max_length or 20000)],
                             description=description, render_kw={"rows": 5})
    if spec.kind == "date":
        return DateField(label, validators=required, description=description)
    if spec.kind == "datetime":
        return DateTimeLocalField(label, validators=required, description=description,
                                  format="%Y-%m-%dT%H:%M")
    if spec.kind == "integer":
        return IntegerField(label, validators=required, description=description)
    if spec.kind == "boolean":
        return BooleanField(label, description=description)
    if spec.kind == "choice":
        choices = [SelectChoice("", "—")] + [
            SelectChoice(c.value, _l(c.label)) for c in spec.choices
        ]
        return SelectField(label, choices=choices, validators=required,
                           description=description, validate_choice=True)
    raise ValueError(spec.kind)


def record_form_class(record_type: RecordType) -> type[AdminForm]:
    """A form with one input per declared field, plus the version it edits."""
    attributes = {spec.name: _field(spec) for spec in record_type.fields}
    attributes["base_version"] = HiddenField()
    attributes["reason"] = StringField(
        _l("Reason for the change"), validators=[Optional(), Length(max=500)],
        description=_l("Recorded with the new version."),
    )
    return type(f"{record_type.name.title()}Form", (AdminForm,), attributes)


def form_values(record_type: RecordType, form) -> dict:
    """The declared fields' values from a submitted form, for the operations."""
    values = {}
    for spec in record_type.fields:
        value = form[spec.name].data
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        values[spec.name] = value
    return values


class TransitionForm(AdminForm):
    transition = HiddenField()
    base_version = HiddenField()
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)],
                            render_kw={"rows": 2})
    password = PasswordField(_l("Your password (electronic signature)"),
                             validators=[Optional(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class ReasonForm(AdminForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(
        message=_l("This field is required.")), Length(max=500)])
    base_version = HiddenField()
    target = HiddenField()
