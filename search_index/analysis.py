"""Text analysis shared by indexing and querying: Chinese by words, English stemmed.

Text is first normalised (NFKC turns full-width letters and digits into
ASCII; traditional characters become simplified, so 記錄 finds 记录), then
cut into words by rjieba (jieba's dictionary and cuts, in Rust). Latin words
are lower-cased and stemmed, a few English stop words dropped; record numbers
such as ``QR-018-2026-0007`` stay whole and their form code ``qr-018`` is
indexed at the same position.

Indexing also adds the dictionary words inside a long word at that word's
position (管理程序 is found by 管理 and by 程序), so phrases still line up.
Queries are cut without those extra words; both sides share :func:`terms`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import rjieba
from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem as porter_stem
from zhconv_rs import zhconv

# A record number or form code: letters, then groups of digits joined by dashes.
NUMBER = re.compile(r"^[a-z]{1,8}(?:-\d+)+$")
_ENGLISH_STOP = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "in", "is", "it",
    "of", "on", "or", "that", "the", "to", "was", "were", "will", "with",
})


def normalize(text: str) -> str:
    """Full-width to half-width and traditional to simplified, length kept."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text)
    converted = zhconv(folded, "zh-hans")
    # The conversion is phrase-aware; keep it only where lengths agree so
    # offsets computed on it still fit the original text.
    return converted if len(converted) == len(folded) else folded


@lru_cache(maxsize=200_000)
def _term(word: str) -> str | None:
    """The indexed form of one word from rjieba; None for spaces and punctuation."""
    if word.isascii():
        word = word.lower()
        if not any(c.isalnum() for c in word):
            return None
        if word.isalpha():
            return None if word in _ENGLISH_STOP else porter_stem(word)
        return word
    if not any(c.isalnum() for c in word):
        return None
    return word.lower()


def _code_of(term: str) -> str | None:
    """``qr-018-2026-0007`` -> its form code ``qr-018``."""
    if "-" in term and NUMBER.match(term):
        parts = term.split("-")
        if len(parts) >= 4:
            return "-".join(parts[:-2])
    return None


def terms(text: str, *, index: bool = False) -> list[tuple[str, int, int, int]]:
    """``(term, position, start, end)`` for each word of ``text``.

    ``start``/``end`` are character offsets into ``text``. With ``index``,
    dictionary words inside longer words are added at the same position.
    """
    text = normalize(text)
    out: list[tuple[str, int, int, int]] = []
    pos = 0
    words: dict[tuple[int, int], int] = {}
    for word, start, end in rjieba.tokenize(text):
        term = _term(word)
        if term is None:
            continue
        words[(start, end)] = pos
        out.append((term, pos, start, end))
        code = _code_of(term) if index else None
        if code:
            out.append((code, pos, start, end))
        pos += 1
    if index and len(out) < len(text):
        owner: dict[int, int] = {}
        for (start, end), at in words.items():
            if end - start > 2:
                for offset in range(start, end):
                    owner[offset] = at
        if owner:
            for word, start, end in rjieba.tokenize(text, mode="search"):
                if (start, end) in words or word.isascii() or start not in owner:
                    continue
                term = _term(word)
                if term is not None:
                    out.append((term, owner[start], start, end))
    return out


def index_positions(text: str) -> dict[str, list[int]]:
    """Each indexed term of ``text`` with its sorted positions: what
    ``terms(text, index=True)`` gives, gathered for the index writer in one
    pass (this is the hot path of indexing)."""
    text = normalize(text)
    positions: dict[str, list[int]] = {}
    starts: dict[int, tuple[int, int]] = {}
    term_of = _term
    pos = 0
    for word, start, end in rjieba.tokenize(text):
        term = term_of(word)
        if term is None:
            continue
        found = positions.get(term)
        if found is None:
            positions[term] = [pos]
        else:
            found.append(pos)
        if end - start > 2:
            starts[start] = (end, pos)
            if "-" in term:
                code = _code_of(term)
                if code:
                    positions.setdefault(code, []).append(pos)
        pos += 1
    if starts:
        unsorted = set()
        owner_end, owner_pos = -1, -1
        for word, start, end in rjieba.tokenize(text, mode="search"):
            if start in starts:
                owner_end, owner_pos = starts[start]
                if end == owner_end:
                    continue  # the long word itself
            elif start >= owner_end:
                continue  # not inside a long word
            if word.isascii():
                continue
            term = term_of(word)
            if term is None:
                continue
            found = positions.get(term)
            if found is None:
                positions[term] = [owner_pos]
            else:
                if found[-1] >= owner_pos:
                    unsorted.add(term)
                found.append(owner_pos)
        for term in unsorted:
            positions[term] = sorted(set(positions[term]))
    return positions


class ChineseTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`terms` (queries and highlighting)."""

    def __init__(self, index: bool = False):
        self.index = index

    def __eq__(self, other):
        return type(other) is type(self) and other.index == self.index

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True, mode="",
                 **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        for term, pos, start, end in terms(value, index=self.index or mode == "index"):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = term
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def analyzer():
    """The analyzer of every full-text field."""
    return ChineseTokenizer()


def query_terms(text: str) -> set[str]:
    """The terms ``text`` is searched as."""
    return {term for term, *_ in terms(text)}
