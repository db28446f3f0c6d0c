"""Sample values for every field of a type: a template's trial render and a
blank form's preview use them, so a template is tried on every field before
anyone relies on it."""

from __future__ import annotations

from datetime import timedelta

from records.clock import local_now
from records.types import Field, RecordType


def sample_value(spec: Field, text: str | None = None):
    """A plausible value of the field's kind (``text`` for the text kinds)."""
    now = local_now().replace(second=0, microsecond=0)
    if spec.kind in ("string", "text"):
        if text is not None:
            return text
        return f"{spec.label}\n2" if spec.kind == "text" else spec.label[:40]
    return {
        "date": (now - timedelta(days=1)).date().isoformat(),
        "datetime": (now - timedelta(days=1)).isoformat(),
        "integer": max(spec.min_value or 0, 3),
        "choice": spec.choices[0].value if spec.choices else None,
        "boolean": True,
        "department": "CS",
        "user": "sample",
        "record": "QR-015-2026-0001",
    }[spec.kind]


def sample_data(record_type: RecordType, text: str | None = None) -> dict:
    return {spec.name: sample_value(spec, text) for spec in record_type.fields}


def sample_doc(record_type: RecordType, text: str | None = None, number: str = "") -> dict:
    """A record-shaped document of the type filled with sample values."""
    return {
        "number": number or f"{record_type.short_code}-2026-0001",
        "type": record_type.name,
        "version": 1,
        "state": record_type.workflow.initial,
        "data": sample_data(record_type, text),
        "signatures": [],
        "form_code": record_type.form_code,
        "edition": record_type.edition,
    }
