"""Strict input: one layer that checks what a request sends before any view runs.

JSON bodies are parsed with bounded nesting, finite numbers, 64-bit integers
and no lone surrogates; query and form parameters are read through typed
helpers (bounded integers, dates in a sane range). A refusal is a 400 with a
message in the user's language that says what is expected.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest

from records.types import INT_MAX, INT_MIN, YEAR_MAX, YEAR_MIN

#: How deep a JSON body may nest (records are flat; a list of numbers is two).
MAX_DEPTH = 32


class InputError(BadRequest):
    """A 400 whose message says what was wrong (translated when shown)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(description=str(message))
        self.message = message
        self.field = field


def _depth_ok(text: str) -> bool:
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _reject_constant(name: str):
    raise InputError(_l("Numbers must be finite (not NaN or Infinity)."))


def _parse_int(text: str) -> int:
    if len(text) > 20 or not INT_MIN <= int(text) <= INT_MAX:
        raise InputError(_l("A number in the request is too large."))
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputError(_l("A number in the request is too large."))
    return value


def _check_strings(value) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(
                    _l("The request holds characters that are not valid (a lone surrogate).")
                ) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def strict_loads(text: str | bytes):
    """``json.loads`` that refuses what no client means to send."""
    if isinstance(text, bytes | bytearray):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(_l("The request body is not UTF-8 text.")) from None
    if not _depth_ok(text):
        raise InputError(_l("The request body nests too deeply."))
    try:
        value = json.loads(
            text, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float
        )
    except RecursionError:
        raise InputError(_l("The request body nests too deeply.")) from None
    except ValueError as error:
        if isinstance(error, InputError):
            raise
        raise InputError(_l("The request body is not valid JSON.")) from None
    _check_strings(value)
    return value


class StrictJSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        return strict_loads(s)


def json_object(*, required: bool = True) -> dict:
    """The request's JSON body as an object; an empty body is ``{}`` unless required."""
    if not request.get_data(cache=True):
        if required:
            raise InputError(_l("Send a JSON object as the request body."))
        return {}
    if not request.is_json:
        raise InputError(_l("Send the body as JSON (Content-Type: application/json)."))
    body = request.get_json()
    if not isinstance(body, dict):
        raise InputError(_l("Send a JSON object as the request body."))
    return body


def data_object(body: dict, *, required: bool = True) -> dict:
    """``body["data"]``: the record's fields as an object of name -> value."""
    data = body.get("data")
    if data is None and not required:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            _l('Send the fields under "data", as an object of field names and values.'),
            field="data",
        )
    return data


def text_value(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InputError(_l("%(name)s must be text.", name=name), field=name)
    return value


def _source(source):
    return request.args if source is None else source


def int_arg(
    name: str, default: int | None = None, *, low: int = 1, high: int = 10**6, source=None
) -> int | None:
    """A whole-number parameter within [low, high], or ``default`` when absent."""
    raw = (_source(source).get(name) or "").strip()
    if not raw:
        return default
    if len(raw) > 12 or not raw.lstrip("+-").isdigit():
        raise InputError(_l("%(name)s must be a whole number.", name=name), field=name)
    value = int(raw)
    if not low <= value <= high:
        raise InputError(
            _l("%(name)s must be between %(low)d and %(high)d.", name=name, low=low, high=high),
            field=name,
        )
    return value


def _year_ok(value, name: str):
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise InputError(
            _l("%(name)s must be a date between the years 1900 and 2199.", name=name), field=name
        )
    return value


def date_arg(name: str, source=None) -> date | None:
    """A date parameter (YYYY-MM-DD) in a sane range, or None when absent."""
    raw = (_source(source).get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise InputError(
            _l("%(value)s is not a date (YYYY-MM-DD).", value=raw), field=name
        ) from None
    return _year_ok(value, name)


def datetime_arg(name: str, source=None) -> datetime | None:
    """A date-time parameter (ISO 8601; a trailing Z means UTC), or None."""
    raw = (_source(source).get(name) or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.removesuffix("Z").removesuffix("z"))
    except ValueError:
        raise InputError(
            _l("%(name)s must be a date and time (YYYY-MM-DDTHH:MM).", name=name), field=name
        ) from None
    return _year_ok(value, name)


def init_app(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
