"""What the index holds, and the pure function that maps a record to it.

Two indexes share one schema: ``current`` holds the latest version of each
record (key = its number), ``history`` every version (key = number@version)
with the time it was in force, ``valid_from`` <= t < ``valid_to``. Only keys
are stored: results are shown from the database, never from the index.
``grams`` and ``private_grams`` hold the Chinese bigrams of the public and
the confidential text. The Whoosh schema is below; the Tantivy engine maps
the same documents onto its own (:mod:`search_index.tantivy_engine`).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from whoosh import fields

from records.types import registry
from search_index.analysis import ChineseTokenizer, gram_positions, index_positions

#: ``valid_to`` of a version still in force.
FOREVER = datetime(9999, 12, 31)

#: At most this much text of a version's attachments is indexed.
ATTACHMENT_TEXT_CHARS = 500_000

#: The type under which a disposal certificate is indexed.
CERTIFICATE_TYPE = "disposal_certificate"


class WordsField(fields.TEXT):
    """A TEXT field whose indexing goes straight from :func:`terms` to
    postings, skipping Whoosh's per-token objects (the hot path of indexing).
    Queries still go through the same analysis via the tokenizer."""

    def __init__(self, field_boost: float = 1.0):
        # A Whoosh tokenizer is an analyzer in all but its declared type.
        super().__init__(
            analyzer=ChineseTokenizer(),  # type: ignore[arg-type]
            phrase=True,
            field_boost=field_boost,
        )
        # Several words typed together without quotes: all of them, anywhere.
        self.multitoken_query = "and"

    def index(self, value, **kwargs):
        encode = self.format.encode
        boost = self.format.field_boost
        for term, found in index_positions(value).items():
            yield term.encode("utf-8"), len(found), len(found) * boost, encode(found)


class GramsField(fields.TEXT):
    """Chinese character bigrams of a text, with positions (recall that does
    not depend on the segmenter). Queries name its terms directly."""

    def __init__(self):
        super().__init__(analyzer=ChineseTokenizer(), phrase=True)

    def index(self, value, **kwargs):
        encode = self.format.encode
        for gram, found in gram_positions(value).items():
            yield gram.encode("utf-8"), len(found), float(len(found)), encode(found)


#: The bigram field beside each text field a user searches.
GRAMS = {"title": "grams", "body": "grams", "private": "private_grams"}


def _keyword():
    return fields.ID(sortable=True)


def make_schema() -> fields.Schema:
    return fields.Schema(
        key=fields.ID(stored=True, unique=True),
        number=fields.KEYWORD(lowercase=True),
        version=fields.NUMERIC(stored=True),
        type=_keyword(),
        state=_keyword(),
        department=_keyword(),
        # Who may see the record besides its department: the creator (first
        # receiver) and the handler.
        people=fields.KEYWORD(),
        severity=_keyword(),
        created=fields.DATETIME(sortable=True),
        updated=fields.DATETIME(sortable=True),
        # Columns, not indexed terms: an as-of search checks them per match,
        # which beats a range query whose terms cover nearly every version.
        valid_from=fields.DATETIME(sortable=True),
        valid_to=fields.DATETIME(sortable=True),
        title=WordsField(field_boost=2.0),
        body=WordsField(),
        private=WordsField(),
        grams=GramsField(),
        private_grams=GramsField(),
    )


#: Fields a user may name in a query (``type:complaint_sheet``).
QUERY_FIELDS = ("title", "body", "number", "type", "state", "department", "severity")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(_text(item) for item in value)
    if isinstance(value, dict):
        return " ".join(_text(item) for item in value.values())
    return str(value)


_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
_LANGUAGES = ("zh_Hans", "zh_Hant", "en")


@lru_cache(maxsize=4096)
def labels(msgid: str) -> tuple[str, ...]:
    """A label in every language of the portal (what people type to find it)."""
    from babel.support import Translations

    out = [msgid]
    for language in _LANGUAGES:
        translated = Translations.load(str(_TRANSLATIONS), [language]).gettext(msgid)
        if translated not in out:
            out.append(translated)
    return tuple(out)


#: Per record type (by identity, the type kept beside its entry): its fields
#: by name and the names of its confidential ones. A rebuild splits every
#: version of every record, and building both anew each time measured a
#: tenth of its analysis.
_FIELDS_OF: dict[int, tuple[object, dict, frozenset]] = {}


def _fields_of(record_type) -> tuple[dict, frozenset]:
    known = _FIELDS_OF.get(id(record_type))
    if known is None or known[0] is not record_type:
        known = (
            record_type,
            {f.name: f for f in record_type.fields},
            frozenset(f.name for f in record_type.fields if f.confidential),
        )
        _FIELDS_OF[id(record_type)] = known
    return known[1], known[2]


def split_text(record_type_name: str, data: dict) -> tuple[list[str], list[str]]:
    """The public and the confidential text of a record's fields.

    A choice is indexed with its labels in every language (热点 and "hot"
    find it). Fields of an unknown type count as confidential: nothing leaks
    by default.
    """
    record_type = registry.get(record_type_name)
    if record_type is not None:
        specs, confidential = _fields_of(record_type)
    else:
        specs, confidential = {}, frozenset(data or ())
    public: list[str] = []
    private: list[str] = []
    for name, value in (data or {}).items():
        text = _text(value)
        spec = specs.get(name)
        if text and spec is not None and spec.choices:
            chosen = set(value) if isinstance(value, (list, tuple)) else {value}
            text = " ".join(
                [
                    text,
                    *(
                        label
                        for choice in spec.choices
                        if choice.value in chosen
                        for label in labels(choice.label)
                    ),
                ]
            )
        if text:
            (private if name in confidential else public).append(text)
    return public, private


def type_titles(record_type_name: str) -> list[str]:
    """The type's titles in all three languages: 投诉, 投訴 and "complaint"
    find complaint sheets."""
    record_type = registry.get(record_type_name)
    return list(dict.fromkeys(record_type.titles.values())) if record_type else []


def document(
    record: dict,
    version: dict | None = None,
    *,
    valid_to: datetime | None = None,
    attachment_text: dict | None = None,
) -> dict:
    """The index document of ``record`` (current) or of one of its versions.

    ``record`` is the stored record; ``version`` a stored version of it, in
    which case ``valid_to`` is when the next version replaced it (None: still
    in force). ``attachment_text`` maps attachment ids to the text read
    from them; each version holds the text of the files it lists. Pure: the
    same inputs give the same document.
    """
    source = version or record
    data = source.get("data") or {}
    public, private = split_text(record["type"], data)
    attachments = [a.get("filename", "") for a in source.get("attachments") or ()]
    if attachment_text:
        # What a scan says is found like what the record says; which file and
        # page it was on is told from the database when the hit is shown.
        read = [attachment_text.get(a.get("id"), "") for a in source.get("attachments") or ()]
        attachments.append("\n".join(read)[:ATTACHMENT_TEXT_CHARS])
    number = record["number"]
    changed_at = source.get("changed_at") or source.get("updated_at") or record.get("created_at")
    doc = {
        "key": f"{number}@{source['version']}" if version else number,
        "number": number.lower(),
        "version": source["version"],
        "type": record["type"],
        "state": source.get("state") or "",
        "department": source.get("department") or record.get("department") or "",
        "people": " ".join(record.get("people") or [record.get("created_by") or ""]),
        "severity": str(data.get("severity") or ""),
        "title": source.get("title") or "",
        "body": "\n".join(
            [
                number,
                record.get("form_code") or "",
                " ".join(type_titles(record["type"])),
                *public,
                *attachments,
            ]
        ),
        "private": "\n".join(private),
    }
    doc["grams"] = doc["title"] + "\n" + doc["body"]
    doc["private_grams"] = doc["private"]
    if record.get("created_at"):
        doc["created"] = record["created_at"]
    if changed_at:
        doc["updated"] = changed_at
    if version:
        doc["valid_from"] = changed_at
        doc["valid_to"] = valid_to or FOREVER
    return doc


def certificate_document(certificate: dict) -> dict:
    """A disposed record is found only as its certificate."""
    number = certificate["number"]
    return {
        "key": number,
        "number": number.lower(),
        "version": certificate.get("versions") or 0,
        "type": CERTIFICATE_TYPE,
        "state": "disposed",
        "department": "",
        "people": "",
        "severity": "",
        "title": certificate.get("title") or "",
        "body": "\n".join([number, certificate.get("reason") or ""]),
        "private": "",
        "grams": (certificate.get("title") or "") + "\n" + (certificate.get("reason") or ""),
        "private_grams": "",
        "created": certificate.get("created_at") or certificate["disposed_at"],
        "updated": certificate["disposed_at"],
    }
