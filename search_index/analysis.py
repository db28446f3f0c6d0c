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
from array import array
from collections import defaultdict
from functools import lru_cache

import rjieba
from whoosh.analysis import Token, Tokenizer
from whoosh.lang.porter import stem as porter_stem
from zhconv_rs import zhconv

# A record number or form code: letters, then groups of digits joined by dashes.
NUMBER = re.compile(r"^[a-z]{1,8}(?:-\d+)+$")
_ENGLISH_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "that",
        "the",
        "to",
        "was",
        "were",
        "will",
        "with",
    }
)


#: What NFKC does to full-width ASCII and the ideographic space, as a table:
#: Chinese text is full of full-width punctuation, and a table is far cheaper.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FULL_WIDTH_CHAR = re.compile("[\uff01-\uff5e\u3000]")


def _fold_full_width(text: str) -> str:
    """``text.translate(_FULL_WIDTH)``, faster: a translate looks every
    character up in the table (measured a quarter of the analysis of a
    rebuild), while a text holds only a few distinct full-width characters
    (，：（）), each replaced in one pass in C. Their replacements are ASCII,
    never replaced again, so the order does not matter."""
    for char in set(_FULL_WIDTH_CHAR.findall(text)):
        text = text.replace(char, chr(_FULL_WIDTH[ord(char)]))
    return text


def normalize(text: str) -> str:
    """Full-width to half-width and traditional to simplified, length kept."""
    if not text:
        return ""
    # Checking is several times cheaper than folding; after the table, most
    # text is normal already.
    folded = _fold_full_width(text)
    if not unicodedata.is_normalized("NFKC", folded):
        folded = unicodedata.normalize("NFKC", folded)
    converted = zhconv(folded, "zh-hans")
    # The conversion is phrase-aware; keep it only where lengths agree so
    # offsets computed on it still fit the original text.
    return converted if len(converted) == len(folded) else folded


@lru_cache(maxsize=20_000)
def normal_paragraph(text: str) -> str:
    """:func:`normalize`, once per paragraph (its words and bigrams both need it)."""
    return normalize(text)


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


@lru_cache(maxsize=200_000)
def _subwords(word: str) -> tuple[tuple[str, int, int], ...]:
    """The dictionary words inside a long word, with their offsets in it.

    What jieba's search mode adds (its 2- and 3-character dictionary words),
    computed once per word instead of once per occurrence, and independent
    of the order jieba emits them in (it gave 桂园 before 碧桂园, and the
    old pass lost it)."""
    if len(word) <= 2 or word.isascii():
        return ()
    out = []
    for size in (2, 3):
        if len(word) > size:
            for start in range(len(word) - size + 1):
                part = word[start : start + size]
                if rjieba.has_word(part) and not part.isascii():
                    term = _term(part)
                    if term is not None:
                        out.append((term, start, start + size))
    return tuple(out)


def terms(text: str, *, index: bool = False) -> list[tuple[str, int, int, int]]:
    """``(term, position, start, end)`` for each word of ``text``.

    ``start``/``end`` are character offsets into ``text``. With ``index``,
    dictionary words inside longer words are added at the same position.
    """
    text = normalize(text)
    out: list[tuple[str, int, int, int]] = []
    pos = 0
    for word, start, end in rjieba.tokenize(text):
        term = _term(word)
        if term is None:
            continue
        out.append((term, pos, start, end))
        if index:
            code = _code_of(term)
            if code:
                out.append((code, pos, start, end))
            for part, part_start, part_end in _subwords(word):
                out.append((part, pos, start + part_start, start + part_end))
        pos += 1
    return out


@lru_cache(maxsize=20_000)
def paragraph_positions(text: str) -> tuple[int, tuple[tuple[str, tuple[int, ...]], ...]]:
    """How many positions one paragraph takes, and its terms with positions.

    Cached: the versions of a record repeat most of their paragraphs, and
    each is analysed once."""
    positions: dict[str, list[int]] = {}
    pos = 0
    for word, _start, _end in rjieba.tokenize(normalize(text)):
        term = _term(word)
        if term is None:
            continue
        found = positions.get(term)
        if found is None:
            positions[term] = [pos]
        elif found[-1] != pos:
            found.append(pos)
        if len(word) > 2:
            if "-" in term:
                code = _code_of(term)
                if code:
                    positions.setdefault(code, []).append(pos)
            for part, _s, _e in _subwords(word):
                found = positions.get(part)
                if found is None:
                    positions[part] = [pos]
                elif found[-1] != pos:
                    found.append(pos)
        pos += 1
    return pos, tuple((term, tuple(found)) for term, found in positions.items())


@lru_cache(maxsize=200_000)
def _inside(word: str) -> str:
    """What a long word adds beside it: the form code of a record number and
    the dictionary words inside it, as terms joined by spaces ("" for most)."""
    if len(word) <= 2:
        return ""
    term = _term(word)
    if term is None:
        return ""
    out = []
    if "-" in term:
        code = _code_of(term)
        if code:
            out.append(code)
    out.extend(part for part, _start, _end in _subwords(word))
    return " ".join(out)


@lru_cache(maxsize=20_000)
def paragraph_words(text: str) -> tuple[str, str]:
    """One paragraph's words in order, and the words inside its long words
    and the form codes of its numbers, each as terms joined by spaces (for an
    engine that splits on whitespace itself: nothing per term in Python)."""
    cut = rjieba.cut(normal_paragraph(text))
    # Both per-word steps are cached per distinct word and run by map/filter
    # in C: a Python loop over every word cost five times as much.
    return " ".join(filter(None, map(_term, cut))), " ".join(filter(None, map(_inside, cut)))


def index_pieces(text: str) -> tuple[tuple[str, str], ...]:
    """:func:`paragraph_words` of each paragraph of ``text``: an index value
    per paragraph (see :func:`search_index.tantivy_engine.build`).

    Each piece is the cached result of its paragraph: the versions of a
    record repeat most of them, and a batch of documents pickled to the
    writer's process sends each shared piece once (joined texts measured
    three times the bytes, and their pickling a tenth of a rebuild's main
    process)."""
    return tuple(paragraph_words(p) for p in text.split("\n") if p) if text else ()


def index_positions(text: str) -> dict[str, list[int]]:
    """Each indexed term of ``text`` with its sorted positions: what
    ``terms(text, index=True)`` gives, gathered for the index writer in one
    pass (this is the hot path of indexing)."""
    positions: dict[str, list[int]] = {}
    base = 0
    # Paragraphs are cut independently by jieba anyway (a line break ends a
    # block), so analysing them one by one changes nothing but the cost.
    for paragraph in text.split("\n") if text else ():
        if not paragraph:
            continue
        size, found = paragraph_positions(paragraph)
        for term, where in found:
            kept = positions.get(term)
            if kept is None:
                positions[term] = [base + p for p in where] if base else list(where)
            else:
                kept.extend(base + p for p in where)
        # A position left free at a paragraph's end: no phrase spans it (as
        # in Tantivy, which leaves one between the values of a field).
        base += size + 1
    return positions


# Runs of Chinese characters (CJK unified ideographs and their extensions).
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


_NOT_CJK = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=20_000)
def _paragraph_grams(text: str) -> tuple[int, tuple[tuple[str, tuple[int, ...]], ...]]:
    # Each bigram at the offset of its first character: consecutive bigrams
    # are at consecutive positions, and one across anything but Chinese
    # (punctuation, Latin, a space) is dropped, so no phrase spans it.
    cleaned = _NOT_CJK.sub(" ", normalize(text))
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for at, gram in enumerate([cleaned[i : i + 2] for i in range(len(cleaned) - 1)]):
        positions[gram].append(at)
    return len(cleaned) + 1, tuple(
        (gram, tuple(found)) for gram, found in positions.items() if " " not in gram
    )


def gram_positions(text: str) -> dict[str, list[int]]:
    """The Chinese character bigrams of ``text`` with their positions.

    Indexed beside the words (as Lucene's CJK analysers do), so two or more
    characters typed in a row find every text holding them in that order,
    however the segmenter cut that text in its context."""
    positions: dict[str, list[int]] = {}
    base = 0
    for paragraph in text.split("\n") if text else ():
        if not paragraph:
            continue
        size, found = _paragraph_grams(paragraph)
        for gram, where in found:
            positions.setdefault(gram, []).extend(base + p for p in where)
        base += size
    return positions


#: Runs of anything but Chinese characters.
_NOT_CJK_RUN = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@lru_cache(maxsize=20_000)
def _paragraph_gram_text(text: str) -> str:
    # Each run of anything but Chinese becomes one "|": the two bigrams
    # around it ("水|", "|物") are marker tokens that keep a phrase from
    # spanning it (a marker for every character of the run, as before, was a
    # sixth of the tokens of a rebuild).
    cleaned = _NOT_CJK_RUN.sub("|", normal_paragraph(text))
    if len(cleaned) < 2:
        return ""
    # "ab bc cd ...", built by interleaving the code points of the text with
    # itself shifted by one and spaces, in C: making a string per bigram cost
    # more than the segmenter.
    points = array("I", cleaned.encode("utf-32-le"))
    out = array("I", _SPACE) * (3 * (len(points) - 1))
    out[0::3] = points[:-1]
    out[1::3] = points[1:]
    return out.tobytes()[:-4].decode("utf-32-le")


_SPACE = array("I", " ".encode("utf-32-le"))


def gram_pieces(text: str) -> tuple[str, ...]:
    """The Chinese character bigrams of each paragraph of ``text``, as words
    separated by spaces, for an engine that splits on whitespace itself
    (Tantivy; an index value per paragraph, as :func:`index_pieces`). A
    bigram across anything but Chinese stays as a marker token ("区|",
    "|物"; a run of anything else counts as one character), which keeps
    phrases from spanning it and is never asked for."""
    return tuple(_paragraph_gram_text(p) for p in text.split("\n") if p) if text else ()


def query_grams(text: str) -> list[str]:
    """The bigrams a typed word is also searched as: only for two or more
    Chinese characters and nothing else (a mixed word is searched by words)."""
    text = normalize((text or "").strip())
    if len(text) < 2 or not _CJK_RUN.fullmatch(text):
        return []
    return [text[at : at + 2] for at in range(len(text) - 1)]


class ChineseTokenizer(Tokenizer):
    """Whoosh tokenizer over :func:`terms` (queries and highlighting)."""

    def __init__(self, index: bool = False):
        self.index = index

    def __eq__(self, other):
        return type(other) is type(self) and other.index == self.index

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
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
