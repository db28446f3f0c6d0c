"""What the portal says about an attachment's text, and the hit's page.

The record page shows each attachment's state in the reader's language;
the search page names the file and page a scan matched on. The text and
page images come out of :mod:`records.extraction`, already filtered to
records the reader may see.
"""

from __future__ import annotations

from flask_babel import format_number, gettext, ngettext
from markupsafe import Markup

from records.extraction import DONE, FAILED, KINDS, READING, REASONS
from search_index import snippet


def reason_text(entry: dict) -> str:
    """Why a file could not be read, in the reader's language."""
    reason = REASONS.get(entry.get("reason") or "", REASONS["crashed"])
    params = dict(entry.get("reason_params") or {})
    for count in ("total", "read"):
        if isinstance(params.get(count), int):
            params[count] = format_number(params[count])
    if "found" in params:
        params["found"] = gettext(KINDS.get(params["found"], params["found"]))
    try:
        return gettext(reason, **params)
    except (KeyError, ValueError, TypeError):
        return gettext(REASONS["crashed"])


def state_text(entry: dict | None) -> str:
    """ "text found: 1,234 characters, 2 pages", "reading the scan…", or why not."""
    if entry is None or entry.get("state") not in (DONE, FAILED, READING):
        return gettext("waiting to be read…")
    if entry["state"] == READING:
        return gettext("reading the scan…")
    if entry["state"] == FAILED and entry.get("pages"):
        return gettext("not read in full: %(reason)s", reason=reason_text(entry))
    if entry["state"] == FAILED:
        return gettext("no text could be read: %(reason)s", reason=reason_text(entry))
    pages = entry.get("pages_read") or 0
    if not entry.get("chars"):
        return gettext("no text was found on it")
    text = ngettext(
        "text found: %(chars)s characters, %(num)d page",
        "text found: %(chars)s characters, %(num)d pages",
        pages,
        chars=format_number(entry["chars"]),
    )
    return text


def page_name(filename: str, page: dict) -> str:
    """ "scan.pdf, page 2" (or the sheet's name for a workbook)."""
    if page.get("label"):
        return gettext("%(file)s, sheet %(sheet)s", file=filename, sheet=page["label"])
    return gettext("%(file)s, page %(page)d", file=filename, page=page.get("page") or 1)


def matched_page(entries: list[dict], terms) -> tuple[str, Markup] | None:
    """The first attachment page holding the words searched for: its name
    and a snippet of it."""
    for entry in entries:
        for page in entry.get("pages") or ():
            shown = snippet(page.get("text") or "", terms)
            if "<mark>" in shown:
                return page_name(entry.get("filename") or "", page), shown
    return None
