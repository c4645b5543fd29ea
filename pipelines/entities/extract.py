"""`extract_entities`: every extractor's candidates, settled into one list of mentions.

Order of work: people first (their names block organisation chains), then organisations and
gazetteer places, Chinese patterns, acronyms defined in the text ("Suzhou New District (SND)"),
and every further occurrence of a name found once. Overlaps are settled longest first, so
"Suzhou" inside "Suzhou Municipal People's Government" is part of the organisation, not a
separate place. Industry tags are settled among themselves, independently of the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import replace

from crawler.items import Entity, Mention
from crawler.text import ArticleText

from . import context
from .chinese import find_chinese
from .industries import find_industries
from .lexicon import Lexicon, load
from .organizations import find_organizations
from .people import find_people
from .places import choose, gazetteer_matches, local_places, locate
from .spans import Span
from .tokens import tokenize

log = logging.getLogger(__name__)
_LATIN = re.compile(r"[A-Za-z]{2}")
_WORDISH = re.compile(r"[\w-]")  # what may not touch a name found again
_ACRONYM_DEF = re.compile(r"\s*[（(]([A-Z][A-Za-z0-9&]{1,9})[)）]")


def extract_entities(text: str | ArticleText, lang: str | None = None) -> list[Mention]:
    """People, organisations, places and industries in `text`, in text order. Never raises.

    `text` is a string or an `ArticleText` shared with the other extractors. `lang` is only a
    hint: both scripts are read whatever it says, since English articles quote Chinese names
    and Chinese articles name foreign firms in Latin letters.
    """
    doc = ArticleText.of(text, lang)
    try:
        return _extract(doc)
    except Exception:  # odd text must never stop a crawl; the failure is logged, not hidden
        log.exception("entity extraction failed on a %d-character text", len(doc.body))
        return []


def _extract(doc: ArticleText) -> list[Mention]:
    text = doc.body
    if not text.strip():
        return []
    lex = load()
    spans: list[Span] = []
    if _LATIN.search(text):  # Chinese articles name foreign firms in Latin letters too
        spans += _english(text, lex)
    spans += find_chinese(doc, lex)
    spans = [_located(s, lex) for s in spans]
    spans += _acronyms(text, spans)
    spans += _repeats(text, spans)
    kept = _settle([s for s in spans if s.entity.type != "industry"])
    kept += _settle(find_industries(text, lex))
    kept.sort(key=lambda s: (s.start, s.end))
    sentences = doc.sentences
    out = []
    for s in kept:
        sent_start, sent_end = sentences.at(s.start)
        sentence = text[sent_start:sent_end]  # the body's own characters, not the folded ones
        out.append(
            Mention(
                entity=s.entity,
                text=text[s.start : s.end],
                start=s.start,
                end=s.end,
                title=s.title,
                roles=s.roles,
                sentence=sentence,
                sentence_start=sent_start,
            )
        )
    return out


def _english(text: str, lex: Lexicon) -> list[Span]:
    toks = tokenize(text)
    people = find_people(text, toks, lex)
    blocked = {p.start for p in people}
    orgs = find_organizations(text, toks, lex, blocked)
    matches = gazetteer_matches(text, toks, lex)
    chosen = choose(matches, lex)
    places = []
    for k, m in enumerate(matches):
        cand = chosen[k]
        span = Span(m.start, m.end, cand.entity, strength=1 if cand.bare else 2)
        (orgs if cand.entity.type == "organization" else places).append(span)
    places += local_places(text, toks, lex)
    orgs += context.wires(text, lex) + context.lowercase_bodies(text, places, lex)
    short = context.short_names(text, toks, orgs, lex)
    shorts = {text[s.start : s.end] for s in short}
    people = [p for p in people if text[p.start : p.end] not in shorts]  # "Zoppas" the company
    orgs += short
    orgs += context.appositions(text, toks, people + orgs + places, lex)
    orgs += context.coordinated(text, toks, people + orgs + places, lex)
    orgs += context.units(text, orgs)
    return people + orgs + places


def _located(span: Span, lex: Lexicon) -> Span:
    """Organisations and zones found by pattern get the division they name as `parent_code`.

    Gazetteer and lexicon entities are shared objects and already carry what they know, so only
    entities made for this text (no code) are touched, and they are replaced, not mutated."""
    ent = span.entity
    if ent.type not in ("organization", "place") or ent.code or ent.parent_code:
        return span
    if ent.type == "organization" and span.strength > 0:
        return span
    parent = locate(ent.name_zh or ent.name, lex)
    if parent:
        span.entity = replace(ent, parent_code=parent)
        lex.locate_area(span.entity)
    return span


def _acronyms(text: str, spans: list[Span]) -> list[Span]:
    """ "Economic Development Commission (EDC)": later "EDC" is the same entity."""
    out = []
    for s in spans:
        if s.entity.type not in ("organization", "place"):
            continue
        m = _ACRONYM_DEF.match(text, s.end)
        if not m:
            continue
        acronym = m.group(1)
        initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", s.entity.name) if w[0].isupper())
        if not acronym.isupper() or acronym[0] != initials[:1]:
            continue
        for start in _occurrences(text, acronym, before=True, after=True):
            out.append(Span(start, start + len(acronym), s.entity, strength=s.strength))
    return out


def _repeats(text: str, spans: list[Span]) -> list[Span]:
    """A name found once by its context is the same entity wherever else it appears verbatim."""
    seen: dict[str, Entity] = {}
    for s in spans:
        if s.entity.type in ("organization", "person") and s.end - s.start >= 2:
            seen.setdefault(text[s.start : s.end], s.entity)
    out = []
    for surface, ent in seen.items():
        before, after = surface[:1].isascii(), surface[-1:].isascii()
        for start in _occurrences(text, surface, before, after):
            out.append(Span(start, start + len(surface), ent, strength=-1))
    return out


def _occurrences(text: str, surface: str, before: bool, after: bool) -> Iterator[int]:
    r"""Starts of `surface` in `text`, left to right and not overlapping, that no word character
    or hyphen touches (on the sides asked for): what `re.finditer` gives for the surface with
    `(?<![\w-])` / `(?![\w-])` around it, without compiling a pattern per name."""
    n = len(surface)
    p = text.find(surface)
    while p != -1:
        if (before and p > 0 and _WORDISH.match(text, p - 1)) or (
            after and _WORDISH.match(text, p + n)
        ):
            p = text.find(surface, p + 1)
        else:
            yield p
            p = text.find(surface, p + n)


def _settle(spans: list[Span]) -> list[Span]:
    """Greedy: longest span first (then type priority, then evidence); no two kept spans overlap."""
    kept: list[Span] = []
    taken = bytearray(max((s.end for s in spans), default=0))
    for s in sorted(spans, key=lambda s: (s.key, -s.start), reverse=True):
        if s.end <= s.start or any(taken[s.start : s.end]):
            continue
        kept.append(s)
        taken[s.start : s.end] = b"\x01" * (s.end - s.start)
    return kept
