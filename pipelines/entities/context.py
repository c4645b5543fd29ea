"""Organisations that only the rest of the article reveals, found after the first pass.

- **Lists**: "represented by Costco and Decathlon", "clients include Coca-Cola, Pepsi, and
  Danone": a capitalised name coordinated with a known company is a company too (a place or a
  person in the list stays what it is).
- **Short names**: "Zoppas Industries ... Zoppas has now invested": the first word of a company
  name with a company word after it is the same company wherever it stands alone, and a person
  mention by that word alone gives way.
- **Units**: "Zoppas Asia-Pacific", "NIO China", "Alibaba Cloud": a company name plus a region or
  unit word is a company of its own.
- **Wires and sources**: "/PRNewswire/", "/Xinhua-AsiaNet/", "Source:LivingSu", "SOURCE Xinhua
  Silk Road": the name in a dateline's slashes or after a source label is a news organisation.
- **Appositions**: "Hefei Charge, a subsidiary of ...", "BYD, China's largest NEV
  manufacturer": a name followed by a descriptor phrase that ends in a company word.
- **Bodies written in lowercase**: "the Jiangsu provincial government", "Suzhou government", "the
  Jiaxing economy and information technology bureau", "the government of Xishan District of Wuxi
  City": a place plus lowercase qualifiers and a government word is a government body.
"""

from __future__ import annotations

import re
from functools import cache

from crawler.items import Entity

from .lexicon import Lexicon, norm_key
from .spans import Span
from .tokens import Token, joined

_LIST_SEP = re.compile(r"(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+)")
_UNIT = re.compile(
    r"[ \t]+(?:International|Global|Cloud|China|Asia-Pacific|Asia Pacific|Europe|Americas|"
    r"Technologies|Technology|Holdings|Group|Capital|Bank|Research|Labs)\b"
)
_WIRE = re.compile(r"\d{4} /([A-Z][A-Za-z.]*(?:[- ][A-Z][A-Za-z.]*){0,2})/")
_SOURCE = re.compile(
    r"(?m)(?:^|(?<=\s))(?:Source|SOURCE)\s*[:：]?\s*([A-Z][A-Za-z.&-]*(?: [A-Z][A-Za-z.&-]*){0,3})"
)
_GOVERNMENT_OF = re.compile(
    r"\b((?:local |municipal |provincial |district |county |city )?(?:people's )?government of )",
    re.I,
)


def coordinated(text: str, toks: list[Token], spans: list[Span], lex: Lexicon) -> list[Span]:
    """Names listed with a known company, each a company, until the list ends."""
    by_start = {t.start: k for k, t in enumerate(toks)}
    by_end = {t.end: k for k, t in enumerate(toks)}
    taken = _coverage(spans, len(text))
    companies = [s for s in spans if _company(s)]
    out: list[Span] = []
    queue = list(companies)
    while queue:
        s = queue.pop()
        for found in (_next_item(text, toks, by_start, s.end), _prev_item(text, toks, by_end, s)):
            if found is None:
                continue
            i, j = found
            start, end = toks[i].start, toks[j - 1].end
            if any(taken[start:end]) or not _name_like(toks, i, j, lex):
                continue
            span = _company_span(text, start, end)
            taken[start:end] = b"\x01" * (end - start)
            out.append(span)
            queue.append(span)
    return out


def _company(s: Span) -> bool:
    return s.entity.type == "organization" and s.entity.subtype == "company"


def _coverage(spans: list[Span], n: int) -> bytearray:
    taken = bytearray(n)
    for s in spans:
        taken[s.start : s.end] = b"\x01" * (s.end - s.start)
    return taken


def _next_item(
    text: str, toks: list[Token], by_start: dict[int, int], end: int
) -> tuple[int, int] | None:
    m = _LIST_SEP.match(text, end)
    if not m or m.end() not in by_start:
        return None
    i = by_start[m.end()]
    j = i + 1
    while j < len(toks) and j - i < 4 and joined(text, toks[j - 1], toks[j]) and toks[j].cap:
        j += 1
    return (i, j) if toks[i].cap else None


def _prev_item(
    text: str, toks: list[Token], by_end: dict[int, int], s: Span
) -> tuple[int, int] | None:
    """The item right before a list item joined by "and": "Costco and Decathlon" read from
    Decathlon."""
    head = text[max(0, s.start - 8) : s.start]
    m = re.search(r"(?:,\s*and\s+|\s+(?:and|&)\s+)$", head)  # "VICs, Tmall" is no list
    if not m:
        return None
    end = s.start - (len(head) - m.start())
    j = by_end.get(end)
    if j is None:
        return None
    i = j
    while i > 0 and j - i < 3 and joined(text, toks[i - 1], toks[i]) and toks[i - 1].cap:
        i -= 1
    return (i, j + 1) if all(t.cap for t in toks[i : j + 1]) else None


def _name_like(toks: list[Token], i: int, j: int, lex: Lexicon) -> bool:
    """Capitalised, not a sentence-initial function word, not a title, not a place."""
    words = {w.casefold() for w in lex.words["generic_words"]}
    titles = {w.casefold() for w in lex.words["title_words"]}
    first = toks[i]
    if first.lower in words or first.lower in titles or first.text.isdigit():
        return False
    surface = " ".join(t.text for t in toks[i:j])
    return not lex.lookup_en(norm_key(surface), surface)


def _company_span(text: str, start: int, end: int) -> Span:
    name = " ".join(text[start:end].replace("’", "'").split())
    return Span(start, end, Entity(type="organization", name=name, subtype="company"))


@cache
def _apposition(lex: Lexicon) -> re.Pattern[str]:
    words = "|".join(
        sorted(map(re.escape, lex.words["company_descriptors"]), key=len, reverse=True)
    )
    return re.compile(
        r"(?:,|[ \t]+is)[ \t]+(?:a|an|the|[A-Z][A-Za-z]+['’]s)[ \t]+((?:[\w'’-]+[ \t]+){0,5}?)"
        rf"(?:{words})\b"
    )


def appositions(text: str, toks: list[Token], spans: list[Span], lex: Lexicon) -> list[Span]:
    """ "Hefei Charge, a subsidiary of ...": the capitalised name before ", a <...> <descriptor>"."""
    taken = _coverage(spans, len(text))
    by_end = {t.end: k for k, t in enumerate(toks)}
    out = []
    for m in _apposition(lex).finditer(text):
        if any(w[:1].isupper() and not w.isupper() for w in m.group(1).split()[1:]):
            continue  # ", the Suzhou Industrial Park Administrative Committee": a name, not a kind
        j = by_end.get(m.start())
        if j is None:
            continue
        i = j
        while i > 0 and j - i < 3 and joined(text, toks[i - 1], toks[i]) and toks[i - 1].cap:
            i -= 1
        start, end = toks[i].start, toks[j].end
        if not all(t.cap for t in toks[i : j + 1]) or any(taken[start:end]):
            continue
        if not _name_like(toks, i, j + 1, lex):
            continue
        out.append(_company_span(text, start, end))
    return out


def short_names(text: str, toks: list[Token], spans: list[Span], lex: Lexicon) -> list[Span]:
    """ "Zoppas" after "Zoppas Industries", "Hengtong" after "Suzhou Hengtong Cable Co., Ltd.":
    a company's one name word (after any place, before words that only say what it makes or
    is), standing alone elsewhere in the article."""
    found: dict[str, Entity] = {}
    for s in spans:
        if _company(s):
            word = _name_word(text[s.start : s.end], lex)
            if word:
                found.setdefault(word, s.entity)
    out = []
    for t in toks:
        ent = found.get(t.text)
        if ent is not None:
            out.append(Span(t.start, t.end, ent, strength=-1))
    return out


def _name_word(name: str, lex: Lexicon) -> str | None:
    heads = _company_heads(lex)
    generic = {w.casefold() for w in lex.words["generic_words"]}
    words = [w.strip(",.") for w in name.replace("(", " ").replace(")", " ").split()]
    k = 0
    while k < len(words) and lex.lookup_en(norm_key(words[k]), words[k]):
        k += 1  # "Suzhou" in "Suzhou Hengtong Cable Co., Ltd."
    if k >= len(words) - 1:
        return None
    word, rest = words[k], words[k + 1 :]
    if not word[:1].isupper() or word.casefold() in generic or word.casefold() in heads:
        return None
    tail = [w.casefold() for w in rest if not lex.lookup_en(norm_key(w), w)]
    if not tail or tail[-1] not in heads and tail[-1] not in _SUFFIXES:
        return None
    if any(w not in heads and w not in generic and w not in _SUFFIXES for w in tail[:-1]):
        return None  # "King Long Bus Company": the name is more than one word
    return word


_SUFFIXES = frozenset({"co", "ltd", "inc", "corp", "llc", "plc", "limited", "gmbh", "ag"})


@cache
def _company_heads(lex: Lexicon) -> frozenset[str]:
    words = lex.words["org_heads"]["company"] + lex.words["weak_company_heads"]
    return frozenset(w.casefold() for w in words)


def units(text: str, spans: list[Span]) -> list[Span]:
    """ "Zoppas Asia-Pacific", "Tmall International": a company plus a unit word."""
    out = []
    for s in spans:
        if not _company(s):
            continue
        m = _UNIT.match(text, s.end)
        if m:
            out.append(_unit(text, s, m.end()))
    return out


def _unit(text: str, s: Span, end: int) -> Span:
    name = " ".join(text[s.start : end].split())
    return Span(s.start, end, Entity(type="organization", name=name, subtype="company"), strength=2)


def wires(text: str, lex: Lexicon) -> list[Span]:
    """News organisations named in a dateline's slashes or after a source label."""
    out = []
    for pattern in (_WIRE, _SOURCE):
        for m in pattern.finditer(text):
            name = _before_label(m.group(1), lex).rstrip(".")
            if not name:
                continue
            start, end = m.start(1), m.start(1) + len(name)
            known = lex.lookup_en(norm_key(name), name)
            if known:
                continue  # the gazetteer already reads it (a place, or a known wire)
            ent = Entity(type="organization", name=name, subtype="media")
            out.append(Span(start, end, ent))
    return out


def _before_label(name: str, lex: Lexicon) -> str:
    """ "LivingSu Editor" (from "Source:LivingSu Editor:Cassie") is LivingSu."""
    labels = set(lex.words["name_labels"])
    words = name.split()
    cut = next((k for k, w in enumerate(words) if w in labels), len(words))
    return " ".join(words[:cut])


def lowercase_bodies(text: str, places: list[Span], lex: Lexicon) -> list[Span]:
    """Government bodies written with lowercase words around a place name."""
    qualifiers = _qualifiers(lex)
    heads = (
        r"(?i:people's government|government|bureau|commission|committee|department|administration)"
    )
    after = re.compile(rf"((?:[ \t]+(?:{qualifiers}))*)[ \t]+{heads}\b")
    by_start = {s.start: s for s in places}
    out = []
    for s in places:
        if s.entity.type != "place" or s.entity.subtype not in _DIVISIONS:
            continue
        m = after.match(text, s.end)
        if m:
            out.append(_body(text, s.start, m.end()))
        before = _GOVERNMENT_OF.search(text, max(0, s.start - 40), s.start)
        if before and before.end() == s.start:
            end = s.end
            while True:  # "of Xishan District of Wuxi City"
                nxt = re.match(r" of ", text[end : end + 4])
                if not nxt or end + 4 not in by_start:
                    break
                end = by_start[end + 4].end
            out.append(_body(text, before.start(1), end))
    return out


_DIVISIONS = frozenset({"province", "prefecture", "county", "country", "city", "park"})


@cache
def _qualifiers(lex: Lexicon) -> str:
    return "|".join(map(re.escape, sorted(lex.words["body_qualifiers"], key=len, reverse=True)))


def _body(text: str, start: int, end: int) -> Span:
    name = " ".join(text[start:end].replace("’", "'").split())
    return Span(start, end, Entity(type="organization", name=name, subtype="government"))
