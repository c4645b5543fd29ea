"""Organisations in English text, typed from the words that name them.

Three patterns, all over capitalised *chains* (joined capitalised tokens with "of", "and", "for",
"&" and "the" inside, and ", Co., Ltd." at the end):
- a chain with an organisation head noun ("... Municipal Committee", "... Co., Ltd.", "... Alliance");
  a leading title or event ("Secretary of ...", "Suzhou Summit of ...") is cut off, and a chain
  "X Committee and Y Government" is two organisations;
- a lowercase descriptor in apposition ("home appliances manufacturer Lexy", "giants such as 3M
  and GE"), which makes a company of a chain without a head;
- chains ending in a zone or venue word become places ("... Innovation Zone", "... Expo Center").
The type: party if "CPC"/"Party" occurs anywhere, company if the name ends in a company suffix,
else the head noun of the first segment that has one ("Research Institute of Hunan University"
is research), by the order party > company suffix > university > research > media > government
> association > other company words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from crawler.items import Entity

from .lexicon import Lexicon, norm_key
from .spans import Span
from .tokens import MONTH_ABBREVIATIONS, Token, bracketed, corporate_comma, joined

_INNER = frozenset({"of", "and", "for", "&", "the", "on", "de"})
_TIME_WORDS = MONTH_ABBREVIATIONS | frozenset(
    ["may", "january", "february", "march", "april", "june", "july", "august", "september",
     "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
     "saturday", "sunday"]
)  # fmt: skip
_COMPANY_SUFFIX = frozenset(
    [
        "co",
        "co.",
        "ltd",
        "ltd.",
        "inc",
        "inc.",
        "corp",
        "corp.",
        "limited",
        "llc",
        "gmbh",
        "ag",
        "plc",
        "group",
        "company",
        "corporation",
    ]
)
_LEADING = frozenset(
    [
        "the",
        "a",
        "an",
        "for",
        "in",
        "at",
        "on",
        "by",
        "from",
        "with",
        "to",
        "as",
        "of",
        "and",
        "or",
        "but",
        "if",
        "when",
        "while",
        "after",
        "before",
        "during",
    ]
)
_CENTRE_QUALIFIERS = frozenset(
    [
        "innovation",
        "research",
        "service",
        "services",
        "development",
        "technology",
        "engineering",
        "supercomputing",
        "manufacturing",
        "promotion",
        "information",
        "data",
        "testing",
        "training",
        "incubation",
        "exchange",
        "trade",
        "business",
        "investment",
        # a nation's business centre ("German Centre") is an organisation, not a building
        "german",
        "japanese",
        "korean",
        "american",
        "french",
        "british",
        "italian",
        "swiss",
        "dutch",
        "european",
        "singapore",
        "israeli",
    ]
)
_TYPE_ORDER = (
    "party",
    "company_suffix",
    "university",
    "research",
    "media",
    "government",
    "association",
    "company",
    "other",
)
_SUCH_AS = ("such as", "including", "like", "include", "includes", "included")
# Longer runs of capitalised words (title-case headlines, lists of names) are read in pieces of
# this many tokens, so the work per chain stays bounded; the longest organisation name seen in
# the corpus has 12 tokens.
MAX_CHAIN = 24


def _heads(lex: Lexicon) -> dict[str, str]:
    """Lowercase head word -> organisation type (first listed type wins); weak company heads
    are companies too (`_named` decides whether the chain before them is a name)."""
    out: dict[str, str] = {}
    for typ, words in lex.words["org_heads"].items():
        for w in words:
            if " " not in w:
                out.setdefault(w.casefold(), typ)
    for w in lex.words["weak_company_heads"]:
        out.setdefault(w.casefold(), "company")
    return out


@cache
def _weak(lex: Lexicon) -> tuple[frozenset[str], frozenset[str]]:
    """(weak company heads, generic words), casefolded."""
    w = lex.words
    weak = frozenset(x.casefold() for x in w["weak_company_heads"])
    generic = {x.casefold() for x in w["generic_words"]}
    generic |= {x.casefold() for xs in w["org_heads"].values() for x in xs}
    generic |= {x.casefold() for x in w["title_words"]} | {x.casefold() for x in w["event_words"]}
    return weak - {h.casefold() for xs in w["org_heads"].values() for h in xs}, frozenset(generic)


def _named(toks: list[Token], start: int, end: int, lex: Lexicon) -> bool:
    """Does the chain hold a word that can be a firm's name (Tongfu, Sigurd, Longji), not only
    ordinary capitalised words (Information Technology) and place names ("Wuxi Power" may be
    a utility, a plant or a sector)?"""
    _, generic = _weak(lex)
    return any(
        t.lower not in generic and not t.text.isdigit() and not lex.lookup_en(t.lower, t.text)
        for t in toks[start:end]
    )


@dataclass(frozen=True)
class _Endings:
    """Phrases by their key words, with the lengths they come in, so that a phrase's endings
    are looked up rather than compared with every phrase."""

    phrases: frozenset[tuple[str, ...]]
    lengths: tuple[int, ...]  # the phrases' lengths in words, none zero


@cache
def _suffix_set(lex: Lexicon, key: str) -> _Endings:
    phrases = frozenset(tuple(norm_key(h).split()) for h in lex.words[key])
    return _Endings(phrases, tuple(sorted({len(p) for p in phrases if p})))


def org_type(words: list[str], heads: dict[str, str]) -> str | None:
    found = set()
    for w in words:
        low = w.casefold()
        if low in _COMPANY_SUFFIX:
            found.add("company_suffix")
        if low in heads:
            found.add(heads[low])
    for typ in _TYPE_ORDER:
        if typ in found:
            return "company" if typ == "company_suffix" else typ
    return None


def _span_type(
    toks: list[Token], start: int, last_head: int, end: int, heads: dict[str, str]
) -> str | None:
    """Party anywhere, else a company suffix at the end, else the head segment decides:
    "Research Institute of Hunan University" is research, not a university."""
    whole = org_type([t.text for t in toks[start:end]], heads)
    if whole in ("party",) or toks[end - 1].lower in _COMPANY_SUFFIX:
        return whole
    return org_type([t.text for t in toks[start : last_head + 1]], heads) or whole


def chains(
    text: str, toks: list[Token], blocked: set[int], heads: dict[str, str]
) -> list[tuple[int, int]]:
    """Token ranges [i, j) of capitalised chains; tokens starting at `blocked` offsets break them."""
    out = []
    i, n = 0, len(toks)
    while i < n:
        if not toks[i].cap or toks[i].start in blocked:
            i += 1
            continue
        j = i + 1
        while (
            j < n
            and j - i < MAX_CHAIN
            and toks[j].start not in blocked
            and (
                joined(text, toks[j - 1], toks[j])
                or corporate_comma(text, toks, j)
                or bracketed(text, toks, j)
            )
        ):
            t = toks[j]
            if t.lower == "the" and toks[j - 1].lower not in ("of", "for"):
                break
            if t.lower.rstrip(".") in _TIME_WORDS:
                break  # "... Grand Theater on Oct 12"
            if t.cap or t.lower in _INNER:
                j += 1
            elif (
                j + 1 < n
                and toks[j + 1].lower in heads
                and t.text.endswith("s")
                and joined(text, t, toks[j + 1])
            ):
                j += 1  # "Japan-China operators Association"
            else:
                break
            if toks[j - 1].possessive and toks[j - 1].text != "People":
                break
        while j > i + 1 and not toks[j - 1].cap:
            j -= 1
        out.append((i, j))
        i = j
    return out


def _ends_with(words: list[str], suffixes: _Endings) -> bool:
    low = tuple(norm_key(" ".join(words)).split())
    if not low:
        return () in suffixes.phrases
    return any(low[-n:] in suffixes.phrases for n in suffixes.lengths if n <= len(low))


def _zone(words: list[str], lex: Lexicon) -> bool:
    """Does a phrase end in a zone word ("... High-tech Zone") or a park's one-word name
    ("Jiangsu Medpark")?"""
    last = words[-1].casefold() if words else ""
    return _ends_with(words, _suffix_set(lex, "zone_heads")) or (
        last.endswith("park") and len(last) > 6
    )


def _place(text: str, toks: list[Token], i: int, j: int, subtype: str) -> Span:
    name = " ".join(text[toks[i].start : toks[j - 1].end].replace("’", "'").split())
    return Span(toks[i].start, toks[j - 1].end, Entity(type="place", name=name, subtype=subtype))


def _org(text: str, toks: list[Token], i: int, j: int, typ: str) -> Span:
    name = " ".join(text[toks[i].start : toks[j - 1].end].replace("’", "'").split())
    return Span(toks[i].start, toks[j - 1].end, Entity(type="organization", name=name, subtype=typ))


def _from_chain(
    text: str, toks: list[Token], i: int, j: int, lex: Lexicon, heads: dict[str, str]
) -> list[Span]:
    while i < j and (toks[i].lower in _LEADING or toks[i].lower.endswith("-based")):
        i += 1
    if j - i < 2 or toks[i].lower in _COMPANY_SUFFIX:
        return []
    words = [t.text for t in toks[i:j]]
    # "X Committee and Y Government": two organisations.
    for k in range(i + 1, j - 1):
        right = words[k + 1 - i :]
        if toks[k].lower != "and" or not (
            org_type(right, heads) or _ends_with(right, _suffix_set(lex, "zone_heads"))
        ):
            continue
        right_place = k - i >= 2 and any(
            c.entity.type == "place" for c in lex.lookup_en(toks[k + 1].lower, toks[k + 1].text)
        )
        if toks[k - 1].lower in heads or right_place:
            return _from_chain(text, toks, i, k, lex, heads) + _from_chain(
                text, toks, k + 1, j, lex, heads
            )
    if _ends_with(words, _suffix_set(lex, "troupe_heads")):
        return [_org(text, toks, i, j, "other")]
    if _ends_with(words, _suffix_set(lex, "venue_heads")):
        return [_place(text, toks, i, j, "venue")]
    # Segments split at "of": the organisation starts at the first segment holding a head.
    cuts = [k for k in range(i, j) if toks[k].lower == "of"]
    bounds = [i, *[c + 1 for c in cuts]]
    for s_idx, s in enumerate(bounds):
        e = cuts[s_idx] if s_idx < len(cuts) else j
        seg = [t.lower for t in toks[s:e]]
        last_head = max(
            (k for k in range(s, e) if toks[k].lower in heads or toks[k].lower in _COMPANY_SUFFIX),
            default=None,
        )
        if last_head is None:
            continue
        start = s
        while start < e and toks[start].lower in ("the", "a", "an"):
            start += 1
        end = j if e < j else last_head + 1
        if s_idx == 0 and last_head == s and e == j and len(seg) == 1:
            return []
        typ = _span_type(toks, start, last_head, end, heads)
        if typ is None or end - start < 2:
            return []
        weak, _ = _weak(lex)
        strong = [
            k for k in range(start, end) if toks[k].lower in heads and toks[k].lower not in weak
        ]
        if not strong and not _named(toks, start, last_head, lex):
            break  # "Information Technology" is no company ("... Technology Park" may be a zone)
        if (
            toks[last_head].lower in ("center", "centre")
            and typ == "research"
            and not any(t.lower in _CENTRE_QUALIFIERS for t in toks[start:last_head])
        ):
            return [
                _place(text, toks, start, end, "venue")
            ]  # "Suzhou Culture and Arts Center": a building
        if e == j and _ends_with([t.text for t in toks[start:end]], _suffix_set(lex, "zone_heads")):
            return [_place(text, toks, start, end, "park")]
        return [_org(text, toks, start, end, typ)]
    zone_end = next(
        (m for m in range(i + 2, j) if toks[m].lower == "for" and _zone(words[: m - i], lex)),
        None,
    )  # "BYD Industrial Park for Core NEV Parts"
    if zone_end is not None:
        return [_place(text, toks, i, j, "park")]
    if _zone(words, lex):
        last = bounds[-1]
        while last < j and toks[last].lower in _LEADING:
            last += 1
        return [_place(text, toks, last, j, "park")] if j - last >= 2 else []
    return []


def _appositives(
    text: str, toks: list[Token], lex: Lexicon, heads: dict[str, str], blocked: set[int]
) -> list[Span]:
    """ "home appliances manufacturer Lexy", "giants such as 3M and GE"."""
    descriptors = {d.casefold() for d in lex.words["company_descriptors"]}
    out = []
    n = len(toks)
    for i, t in enumerate(toks[:-1]):
        if t.text not in descriptors:  # lowercase only: "Group" is a head, "group" a descriptor
            continue
        k = i + 1
        listing = False
        for phrase in _SUCH_AS:
            words = phrase.split()
            if [x.lower for x in toks[k : k + len(words)]] == words:
                k += len(words)
                listing = True
                break
        # "the group's subsidiary, SIPA.": a name set off by commas after the descriptor
        apposed = not listing and text[t.full_end : toks[k].start] == ", "
        if not listing and not apposed and not joined(text, t, toks[k]):
            continue
        while k < n:
            while k < n and toks[k].lower in ("the", "and", "or"):
                k += 1
            if k >= n or not toks[k].cap or toks[k].start in blocked:
                break
            j = k + 1
            while (
                j < n
                and joined(text, toks[j - 1], toks[j])
                and (toks[j].cap or toks[j].text == "&")
                and j - k < 5
            ):
                j += 1
            name = text[toks[k].start : toks[j - 1].end]
            if apposed and text[toks[j - 1].end : toks[j - 1].end + 1] not in (",", "."):
                break
            if all(lex.lookup_en(norm_key(part), part) for part in name.split("-")):
                pass  # "China-Singapore": a partnership of places, not a company
            elif not lex.lookup_en(norm_key(name), name) or any(
                c.entity.type == "organization" for c in lex.lookup_en(norm_key(name), name)
            ):
                typ = org_type([x.text for x in toks[k:j]], heads) or "company"
                out.append(_org(text, toks, k, j, typ))
            if not listing:
                break
            sep = text[toks[j - 1].full_end : toks[j].start] if j < n else ""
            if j < n and (sep.strip() in (",",) or toks[j].lower in ("and", "or")):
                k = j
                continue
            break
    return out


@cache
def _context_phrases(lex: Lexicon) -> dict[tuple[str, ...], int]:
    """Context phrases by their words, with the longest phrase length."""
    phrases = {tuple(p.casefold().split()) for p in lex.words["company_contexts"]}
    return {p: len(p) for p in phrases}


@cache
def _context_last_words(lex: Lexicon) -> frozenset[str]:
    """The last word of every context phrase: a token that is none of them ends no phrase."""
    return frozenset(p[-1] for p in _context_phrases(lex) if p)


def _contexts(
    text: str, toks: list[Token], lex: Lexicon, heads: dict[str, str], blocked: set[int]
) -> list[Span]:
    """ "signed a contract with BayernLB", "the new plant of Thermo Fisher", "founded Wintech
    Nano": a capitalised name right after such words is a company, unless it is a place, a
    person, a title or only ordinary words. Names with a head noun are left to the chains."""
    phrases = _context_phrases(lex)
    longest = max(phrases.values(), default=0)
    last_words = _context_last_words(lex)
    out = []
    n = len(toks)
    for i in range(n - 1):
        if toks[i].lower not in last_words or not any(
            tuple(t.lower for t in toks[i - k + 1 : i + 1]) in phrases
            for k in range(1, longest + 1)
            if i - k + 1 >= 0
        ):
            continue
        k = i + 1
        if toks[k].lower == "the" and k + 1 < n:
            k += 1
        if (
            not toks[k].cap
            or toks[k].start in blocked
            or toks[k].text.isupper()
            and len(toks[k].text) < 2
        ):
            continue
        j = k + 1
        while (
            j < n
            and j - k < 4
            and joined(text, toks[j - 1], toks[j])
            and toks[j].cap
            and toks[j].start not in blocked
        ):
            j += 1
        if any(t.lower in heads for t in toks[k:j]) or not _named(toks, k, j, lex):
            continue
        name = text[toks[k].start : toks[j - 1].end]
        if lex.lookup_en(norm_key(name), name) or lists_title(lex, toks[k].lower):
            continue
        out.append(_org(text, toks, k, j, "company"))
    return out


def lists_title(lex: Lexicon, word: str) -> bool:
    return word in {t.casefold() for t in lex.words["title_words"]}


def find_organizations(text: str, toks: list[Token], lex: Lexicon, blocked: set[int]) -> list[Span]:
    """Organisation (and zone/venue place) candidates from chains, appositives and contexts."""
    heads = _heads(lex)
    spans = []
    for i, j in chains(text, toks, blocked, heads):
        spans.extend(_from_chain(text, toks, i, j, lex, heads))
    spans.extend(_appositives(text, toks, lex, heads, blocked))
    spans.extend(_contexts(text, toks, lex, heads, blocked))
    return spans
