"""Snippets: a window of a record's text around the words searched for.

The text comes from the database (the index stores none), already cut down
to what the viewer may see; only that text is ever shown.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from search_index.analysis import normalize, query_grams, terms


def snippet(text: str, wanted: frozenset[str] | set[str], width: int = 120) -> Markup:
    """Up to ``width`` characters of ``text`` with the wanted words marked.

    The window is the one holding the most matches; with no match, the
    beginning of the text."""
    text = " ".join((text or "").split())
    if not text:
        return Markup("")
    if len(normalize(text)) != len(text):
        text = normalize(text)  # offsets must fit the text shown
    found = {(start, end) for term, _pos, start, end in terms(text, index=True) if term in wanted}
    # Chinese words found by their characters (cut differently in this text).
    folded = normalize(text)
    for word in wanted:
        if query_grams(word):
            at = folded.find(word)
            while at >= 0:
                found.add((at, at + len(word)))
                at = folded.find(word, at + 1)
    spans = sorted(found)
    # Keep the longest of overlapping spans (管理程序 over 管理).
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
            continue
        merged.append((start, end))
    begin = 0
    if merged:
        best = 0
        for index, (start, _end) in enumerate(merged):
            inside = sum(1 for s, e in merged[index:] if e <= start + width)
            if inside > best:
                best, begin = inside, start
        # Some context before the first match.
        begin = max(0, begin - width // 4)
    finish = min(len(text), begin + width)
    out = [Markup("…") if begin > 0 else Markup("")]
    cursor = begin
    for start, end in merged:
        if start < begin or end > finish:
            continue
        out.append(escape(text[cursor:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        cursor = end
    out.append(escape(text[cursor:finish]))
    if finish < len(text):
        out.append(Markup("…"))
    return Markup("").join(out)
