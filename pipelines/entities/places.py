"""Gazetteer lookup in English text, and the choice between places that share a name.

Every run of up to `max_en_words` joined tokens is looked up in the lexicon (divisions, zones,
regions, countries, world cities and known organisations). A name shared by several places
("Suzhou" is 苏州 in Jiangsu and 宿州 in Anhui; "Gulou District" exists in four cities) is settled
by the article itself: a candidate whose province or city is also named unambiguously wins;
otherwise the default order in `lexicon.rank` applies (full names over bare county names, the
Yangtze River Delta first, higher levels first) after any preference set in lexicon.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.items import Entity

from .lexicon import Candidate, Lexicon, norm_key, rank
from .people import is_given_name
from .spans import Span
from .tokens import Token, joined


@dataclass
class Match:
    start: int
    end: int
    candidates: list[Candidate]


def gazetteer_matches(text: str, toks: list[Token], lex: Lexicon) -> list[Match]:
    """Longest lexicon phrases starting at each token; a phrase must start with a capital.

    A phrase's key is built from its tokens' keys (joined tokens have only blanks between them),
    and only tokens whose first word starts some lexicon phrase are tried."""
    inner = [norm_key(text[t.start : t.full_end]) for t in toks]  # "People's" inside a phrase
    last = [norm_key(t.text) for t in toks]
    out = []
    n = len(toks)
    for i, t in enumerate(toks):
        if not t.cap or last[i].split(" ", 1)[0] not in lex.en_first_words:
            continue
        j = i + 1
        while j < n and j - i < lex.max_en_words and joined(text, toks[j - 1], toks[j]):
            j += 1
        for k in range(j, i, -1):
            key = " ".join(p for p in [*inner[i : k - 1], last[k - 1]] if p)
            if key not in lex.en:
                continue
            cands = lex.lookup_en(key, text[t.start : toks[k - 1].end])
            if cands and not _adjective(text, toks[k - 1].end, cands, lex):
                out.append(Match(t.start, toks[k - 1].end, cands))
                break
        else:
            out.extend(_compound(text, t, lex))
    return out


_COMPOUND = re.compile(
    r"([A-Z][A-Za-z.']*)-(?:based|funded|owned|invested|listed|made|headquartered|registered|backed)$"
)


def _compound(text: str, t: Token, lex: Lexicon) -> list[Match]:
    """ "US-funded", "Jiangsu-based": the place a compound adjective is built on."""
    m = _COMPOUND.match(t.text)
    if not m:
        return []
    cands = lex.lookup_en(norm_key(m.group(1)), m.group(1))
    places = [c for c in cands if c.entity.type == "place"]
    return [Match(t.start, t.start + len(m.group(1)), places)] if places else []


def _adjective(text: str, end: int, cands: list[Candidate], lex: Lexicon) -> bool:
    """ "U.S. dollars", "Sichuan opera": a place name used as an adjective is no place."""
    if not all(c.entity.type == "place" for c in cands):
        return False
    m = re.match(r"[ \t]+([a-z]+)", text[end : end + 20])
    return bool(m) and m.group(1) in lex.words["not_after_place"]


def local_places(text: str, toks: list[Token], lex: Lexicon) -> list[Span]:
    """ "Fengming street", "Jiangqiao Town", "Jiangyun Road": a name and a township or street word.
    Towns and streets (街道) are townships, roads venues."""
    generic = {w.casefold() for w in lex.words["generic_words"]}
    kinds = {w.casefold(): kind for kind, ws in lex.words["local_place_words"].items() for w in ws}
    out = []
    for i in range(1, len(toks)):
        kind = kinds.get(toks[i].lower)
        if kind is None or not joined(text, toks[i - 1], toks[i]):
            continue
        first = i - 1
        if first > 0 and joined(text, toks[first - 1], toks[first]) and toks[first - 1].cap:
            continue  # "Suzhou Science and Technology Town" and the like are the chains' business
        name_tok = toks[first]
        if (
            not is_given_name(name_tok.text, lex)  # a pinyin name: "Silk Road" is a route
            or name_tok.lower in generic
            or lex.lookup_en(name_tok.lower, name_tok.text)
        ):
            continue
        name = f"{name_tok.text} {toks[i].text.capitalize()}"
        ent = Entity(type="place", name=name, subtype=kind)
        out.append(Span(name_tok.start, toks[i].end, ent))
    return out


def choose(matches: list[Match], lex: Lexicon) -> dict[int, Candidate]:
    """The reading of each ambiguous match, using the places named unambiguously nearby."""
    certain: set[str] = set()
    for m in matches:
        codes = {c.entity.code for c in m.candidates}
        if len(codes) == 1 and m.candidates[0].entity.code:
            certain.add(m.candidates[0].entity.code)
    # A county named nearby is the strongest hint for its city ("Xiangcheng District ... Suzhou"
    # is Jiangsu's Suzhou even when the text also names Anhui).
    ancestors = {code[:4] + "00" for code in certain if code.isdigit()} - certain
    preferred = lex.words.get("place_preferences", {})
    chosen = {}
    for idx, m in enumerate(matches):
        cands = m.candidates
        if len(cands) > 1:
            # "Suzhou, Anhui province" / "Suzhou in Jiangsu": the division right after decides.
            after = {
                n.candidates[0].entity.code
                for n in matches[idx + 1 : idx + 2]
                if 0 <= n.start - m.end <= 4 and len({c.entity.code for c in n.candidates}) == 1
            }
            context = _Context(certain, ancestors, after, preferred)
            cands = sorted(cands, key=context.score)
        chosen[idx] = cands[0]
    return chosen


@dataclass(frozen=True)
class _Context:
    certain: set[str]
    ancestors: set[str]
    after: set[str]
    preferred: dict[str, str]

    def score(self, c: Candidate) -> tuple[int, int, int, tuple[int, int, int, str]]:
        ent = c.entity
        province = (ent.code or "")[:2] + "0000"
        near = 2 * int(
            ent.code in self.ancestors or province in self.after or ent.parent_code in self.after
        ) + int(ent.parent_code in self.certain and ent.parent_code != province)
        # A province named somewhere in the text is weaker evidence than the usual reading
        # of the name (Suzhou in this region's news is Jiangsu's).
        far = int(province in self.certain)
        pref = int(self.preferred.get(ent.name) == ent.code)
        return (-near, -pref, -far, rank(c))


_SPECIFIC = {"county": 0, "prefecture": 1, "province": 2, "country": 3}


def locate(name: str, lex: Lexicon) -> str | None:
    """Code of the most specific division or country named inside a name: "Publicity Department of
    Suzhou Municipal People's Government" -> 320500, "Qingyuan High-tech Zone" -> 441800."""
    found: list[Candidate] = []
    if any("\u4e00" <= c <= "\u9fff" for c in name):
        for i in range(len(name)):
            for n in range(2, min(6, len(name) - i) + 1):
                found.extend(lex.zh.get(name[i : i + n], ()))
    else:
        words = norm_key(name).split()
        for i in range(len(words)):
            for n in range(1, min(3, len(words) - i) + 1):
                found.extend(lex.en.get(" ".join(words[i : i + n]), ()))
    found = [c for c in found if c.level in _SPECIFIC and not c.exact_case]
    if not found:
        return None
    return min(found, key=lambda c: (c.bare, _SPECIFIC[c.level], rank(c))).entity.code
