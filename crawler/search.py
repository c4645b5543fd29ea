"""Full-text search that finds Chinese: the text the index sees, the query that matches it,
and the snippet cut from the article's own words.

Chinese is indexed as overlapping character pairs (苏州工业园区 -> 苏州 州工 工业 业园 园区 区), and
a Chinese search word becomes the phrase of its pairs, so a word matches wherever its characters
stand, however a segmenter would have cut the sentence (jieba never emits 工业园区 from
苏州工业园区). Each run of Chinese also ends with its last character alone, which lets a
one-character word match as a prefix. English goes through SQLite's porter stemmer. Both
sides are folded from Traditional to Simplified, so 蘇州 finds 苏州.

The query language: words are all required; `OR` between alternatives; `NOT word` or `-word`
to exclude; "double quotes" for a phrase; a trailing `*` for a prefix. Chinese typed without
spaces is cut into words by jieba (苏州新能源汽车 = 苏州 and 新能源汽车, each anywhere); in
quotes it is one phrase. Anything else is treated as text, never as FTS5 syntax, so no query
is a syntax error.

Kept free of the database code, so the Datasette plugin loads only this module.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from crawler.chinese import CJK, has_cjk, jieba_tokenizer, to_simplified

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
# Segmentation time grows faster than the length on repetitive Chinese (亿亿亿…: 8 ms for 1,000
# characters, 4.5 s for 40,000), and a SQL function cannot be interrupted while it runs, so the
# search words are capped: Datasette's SQL time limit then holds.
MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
SNIPPET_CHARS = 220
SNIPPET_SCAN_CHARS = 200_000
SNIPPET_MARK = "**"  # as Markdown marks bold text: readable in CSV and JSON too

_CJK_RUN_SPLIT = re.compile(f"((?:{CJK.pattern})+)")  # split keeps the runs
_WORD = re.compile(rf"(?:{CJK.pattern})+|[^\W_{CJK.pattern[1:-1]}]+")
_QUERY_PART = re.compile(r'(-?)"([^"]*)"?(\*?)|(\S+)')
_OPERATORS = {"OR", "AND", "NOT"}


def _fold(text: str) -> str:
    """Traditional to Simplified, full-width to ASCII (５Ｇ = 5G)."""
    return unicodedata.normalize("NFKC", to_simplified(text))


def _pairs(run: str, *, closed: bool) -> list[str]:
    """Tokens of a run of Chinese: its character pairs, and its last character alone when
    the run ends there (always in the index; in a query, when more follows in the term)."""
    tokens = [run[i : i + 2] for i in range(len(run) - 1)]
    if closed or len(run) == 1:
        tokens.append(run[-1])
    return tokens


def segment(text: str | None) -> str:
    """Text as the full-text index sees it: folded, every run of Chinese as its pairs (the
    pairs of 苏州市 and its last character alone, between spaces: " 苏州 州市 市 ").

    Every store segments each title and body, so a run's tokens are made in one C call each
    (each character joined to the next, the last to a space) instead of `_pairs` in a
    callback; the text is the same (tests/test_search.py holds them equal)."""
    if not text:
        return ""
    pieces = _CJK_RUN_SPLIT.split(_fold(text))  # other text, a run, other text, ...
    for at in range(1, len(pieces), 2):
        run = pieces[at]
        pieces[at] = " " + " ".join(map(operator.add, run, run[1:] + " "))
    return "".join(pieces)


def _term_tokens(term: str) -> tuple[list[str], bool]:
    """The index tokens a search term must match in a row, and whether the last one is a
    prefix (a term ending in a single Chinese character, whose pair is not known)."""
    words = _WORD.findall(_fold(term))
    tokens: list[str] = []
    prefix = False
    for i, word in enumerate(words):
        if CJK.match(word):
            last = i == len(words) - 1
            tokens += _pairs(word, closed=not last)
            prefix = last and len(word) == 1
        else:
            tokens.append(word)
    return tokens, prefix


def _phrase(word: str, prefix: bool) -> str | None:
    tokens, open_end = _term_tokens(word)
    if not tokens:
        return None
    return '"' + " ".join(tokens) + '"' + ("*" if prefix or open_end else "")


class Term(NamedTuple):
    """One search term: how it joins the others (AND, OR, NOT), the words it must contain
    (several when jieba cut typed Chinese) and whether its last word is a prefix."""

    operator: str
    words: list[str]
    prefix: bool


def prepare() -> None:
    """Load jieba's dictionary now (about a second), not inside the first query's SQL time limit.

    Only the query side needs jieba (the index is character pairs), so importing this module
    for `segment` (every store) loads none of it."""
    jieba_tokenizer().initialize()


def _words(term: str) -> list[str]:
    """An unquoted term as the words it must contain: Chinese cut into words by jieba."""
    folded = _fold(term)
    if not has_cjk(folded):
        return [folded]
    return [word for word in jieba_tokenizer().cut(folded) if _WORD.search(word)]


def parse_query(query: str) -> list[Term]:
    """The search terms of a query, at most `MAX_TERMS`."""
    terms: list[Term] = []
    pending = "AND"
    for match in _QUERY_PART.finditer(query):
        negated, quoted, star, bare = match.groups()
        if bare in _OPERATORS:
            pending = bare
            continue
        if bare is not None:
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            text = bare[1:] if negated else bare
            star = "*" if text.endswith("*") else ""
            words = _words(text.rstrip("*"))
        else:
            # Chinese in a quoted phrase is one run whatever the spaces: "苏州 工业园区".
            words = [re.sub(rf"(?<={CJK.pattern})\s+(?={CJK.pattern})", "", quoted)]
        terms.append(Term("NOT" if negated else pending, words, bool(star)))
        pending = "AND"
    return terms[:MAX_TERMS]


def _expression(term: Term) -> str | None:
    last = len(term.words) - 1
    phrases = [p for i, w in enumerate(term.words) if (p := _phrase(w, term.prefix and i == last))]
    if len(phrases) <= 1:
        return phrases[0] if phrases else None
    return "(" + " AND ".join(phrases) + ")"


def fts_query(query: str | None) -> str:
    """A user's search words as a safe FTS5 query over the index `segment` builds.

    Raises ValueError for more than `MAX_QUERY_CHARS` characters (or a value that is not
    text), which SQLite reports as an error of the statement."""
    if query is None:
        return ""
    if not isinstance(query, str):
        raise ValueError(f"search words must be text, not {type(query).__name__}")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(
            f"search words are limited to {MAX_QUERY_CHARS:,} characters (got {len(query):,})"
        )
    parts: list[str] = []
    for term in parse_query(query):
        expression = _expression(term)
        if expression is None:
            continue
        if parts:
            parts.append(term.operator)
        parts.append(expression)  # a leading NOT has nothing to exclude from: the word is wanted
    return " ".join(parts)


def _char_fold(text: str) -> str:
    """Folded one character for one, so offsets into the result are offsets into `text`."""
    simplified = to_simplified(text)
    lowered = simplified.lower()
    # Lowering the whole text at once is the same unless a character lowers to several, or a
    # capital sigma takes its final form from its neighbours.
    if len(lowered) == len(simplified) and "\u03a3" not in simplified:
        return lowered
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in simplified)


def _stem(word: str) -> str:
    """Enough of an English word to find its inflections (the index stems with porter)."""
    for suffix in ("ments", "ment", "ies", "es", "s", "ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 4 and word[-1] in "ye" else word


@lru_cache(maxsize=64)  # the snippet of every row of a search result asks for the same one
def highlight_pattern(query: str) -> re.Pattern[str] | None:
    """A pattern over `_char_fold`ed text matching what the query's wanted terms match."""
    alternatives = []
    for term in parse_query(query[:MAX_QUERY_CHARS]):
        if term.operator == "NOT":
            continue
        for word in term.words:
            pieces = _WORD.findall(_char_fold(word))
            if len(pieces) == 1 and not CJK.match(pieces[0]):
                stem = pieces[0] if term.prefix else _stem(pieces[0])
                alternatives.append(rf"(?<![^\W_]){re.escape(stem)}[^\W_]*")
            elif pieces:
                alternatives.append(r"[\W_]*".join(re.escape(p) for p in pieces))
    if not alternatives:
        return None
    return re.compile("|".join(sorted(alternatives, key=len, reverse=True)))


def snippet(text: str | None, query: str | None) -> str | None:
    """The stretch of `text` around the first match of `query`, in the text's own words,
    matches between `SNIPPET_MARK`s; the text's opening when nothing matches in it."""
    if not text:
        return None
    pattern = highlight_pattern(query) if isinstance(query, str) else None
    scanned = text[:SNIPPET_SCAN_CHARS]
    first = pattern.search(_char_fold(scanned)) if pattern else None
    start = 0
    if first:
        start = max(0, first.start() - SNIPPET_CHARS // 3)
        space = scanned.find(" ", start, first.start()) if start else -1
        if 0 <= space - start < 20:
            start = space + 1  # begin with a whole word
    end = min(len(text), start + SNIPPET_CHARS)
    window = text[start:end].replace(SNIPPET_MARK, "*")
    return _mark(window, pattern, cut_start=start > 0, cut_end=end < len(text))


def _mark(window: str, pattern: re.Pattern[str] | None, *, cut_start: bool, cut_end: bool) -> str:
    """`window` with every match of `pattern` between marks, whitespace collapsed."""
    pieces, last = [], 0
    for match in pattern.finditer(_char_fold(window)) if pattern else ():
        if match.end() > match.start():
            pieces += [window[last : match.start()], SNIPPET_MARK]
            pieces += [window[match.start() : match.end()], SNIPPET_MARK]
            last = match.end()
    pieces.append(window[last:])
    text = " ".join("".join(pieces).split()).replace(SNIPPET_MARK * 2, "")  # adjacent matches
    return ("…" if cut_start else "") + text + ("…" if cut_end else "")
