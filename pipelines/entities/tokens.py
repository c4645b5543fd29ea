"""Words with offsets, and sentences: the geometry every English pattern works on.

A token is a run of characters between spaces and hard punctuation; a trailing full stop and
a possessive "'s" are kept out of its core, so "Suzhou's" and "Ltd." match "Suzhou" and "Ltd".
Two tokens are *joined* when only spaces or tabs separate them (no punctuation, no line break),
which is how names and titles hang together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_RAW = re.compile(
    r"[^\s,;:!?\"“”()\[\]{}<>|/—–•·\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+|[\u4e00-\u9fff]+"
)
MONTH_ABBREVIATIONS = frozenset(
    ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
)  # fmt: skip
_ABBREV = MONTH_ABBREVIATIONS | frozenset(
    ["co", "ltd", "inc", "corp", "mr", "mrs", "ms", "dr", "prof", "no", "st", "jr", "sr"]
)  # fmt: skip
_POSSESSIVE = re.compile(r"(?:['’]s|s['’]|['’])$")
_POSSESSIVE_ENDS = ("'", "’", "s")
_QUOTES = "'‘’"
_TRIMMED_ENDS = frozenset(".s" + _QUOTES)  # the last characters `_core` may take off
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
_CORPORATE = frozenset(
    {"co.", "co", "ltd.", "ltd", "inc.", "inc", "corp.", "corp", "llc", "plc", "limited"}
)
_COMMA = re.compile(r", ?")
_JOIN = re.compile(r"[ \t\u00a0]+")
_POSSESSIVE_IN_NAMES = frozenset({"People", "Workers", "Women", "Children", "Farmers"})


@dataclass(slots=True)
class Token:
    text: str  # core: no trailing full stop (unless an abbreviation), no possessive
    start: int
    end: int  # end of the core
    full_end: int  # end including possessive / full stop
    possessive: bool
    # Derived from `text` once, by `tokenize`, since every pattern asks for them many times
    # per token.
    lower: str = field(compare=False)  # casefolded
    cap: bool = field(compare=False)  # proper-noun shape: capital first letter, or a digit
    # followed by capitals (3M, 5G)


def tokenize(text: str) -> list[Token]:
    tokens = []
    for m in _RAW.finditer(text):
        word, start = m.group(), m.start()
        end = start + len(word)
        if word[0] in _QUOTES or word[-1] in _TRIMMED_ENDS:
            core, start, possessive = _core(word, start)
        else:  # most words: nothing to take off, the word is its own core
            core, possessive = word, False
        if core:
            first = core[0]
            cap = first.isupper() or (first.isdigit() and any(c.isupper() for c in core))
            tokens.append(
                Token(core, start, start + len(core), end, possessive, core.casefold(), cap)
            )
    return tokens


def _core(word: str, start: int) -> tuple[str, int, bool]:
    """(core, its start, possessive) of a word with leading quotes or a trailing full stop,
    quote or s."""
    if word[0] in _QUOTES:
        lead = len(word) - len(word.lstrip(_QUOTES))
        word, start = word[lead:], start + lead
    core = word
    if core.endswith(".") and not (core[:-1].casefold() in _ABBREV or _INITIALS.fullmatch(core)):
        core = core.rstrip(".")
    possessive = False
    # only a word ending in an apostrophe or an s can end in a possessive
    pm = _POSSESSIVE.search(core) if core[-1:] in _POSSESSIVE_ENDS else None
    if pm and len(core) > pm.end() - pm.start() + 1 and core[: pm.start()][-1:].isalpha():
        core, possessive = core[: pm.start()], True
    return core.rstrip(_QUOTES), start, possessive


def joined(text: str, a: Token, b: Token) -> bool:
    """True when `b` follows `a` with only blanks between them and `a` ends no clause."""
    if a.possessive and a.text not in _POSSESSIVE_IN_NAMES:
        return False
    if not a.possessive and a.full_end != a.end:
        return False
    return bool(_JOIN.fullmatch(text, a.full_end, b.start))


def corporate_comma(text: str, toks: list[Token], j: int) -> bool:
    """ ", Co., Ltd." continues a company name across its commas."""
    return (
        j > 0
        and toks[j].lower in _CORPORATE
        and bool(_COMMA.fullmatch(text, toks[j - 1].full_end, toks[j].start))
    )


def bracketed(text: str, toks: list[Token], j: int) -> bool:
    """ "Wintech Nano (Suzhou) Co., Ltd.", "Communist Party of China (CPC) Central Committee": one
    capitalised word in brackets inside a name, when the name goes on after the bracket."""
    if j + 1 < len(toks) and text[toks[j - 1].full_end : toks[j].start] == " (":
        return (
            text[toks[j].full_end : toks[j + 1].start] == ") " and toks[j].cap and toks[j + 1].cap
        )
    return (
        j >= 2
        and text[toks[j - 1].full_end : toks[j].start] == ") "
        and text[toks[j - 2].full_end : toks[j - 1].start] == " ("
        and toks[j].cap
    )
