"""People in English text, with the title stated next to the name, split into roles.

A name is recognised by its shape or its context, never by a trained model:
- Chinese names in pinyin, surname first: a known surname, then a given name that splits into one
  or two pinyin syllables ("Gu Haidong", "Li Yaping");
- any name (Japanese, Western) introduced by a title ("Minister Tanazaki Jiabang"), a label
  ("Editor: Yang Meiping"), a following ", <title>" or a reporting verb ("said John Smith").
Titles are read from the appositive after the name ("Li Yaping, Deputy Secretary of ... and Mayor
of ...,") and stop at the first comma or at a word that cannot belong to a title. Later
mentions by surname ("Mayor Li", "Lan") are tied to the full name when only one person in the
article carries that surname.
"""

from __future__ import annotations

import re

from crawler.items import Entity

from .lexicon import Lexicon, norm_key
from .spans import Span
from .tokens import Token, bracketed, corporate_comma, joined

_CONNECTORS = frozenset({"of", "the", "and", "for", "&", "in", "at", "on"})
_TITLE_LEAD = frozenset({"a", "an", "the", "also", "currently", "now", "then", "formerly", "still"})
_INITIAL = re.compile(r"[A-Z]\.")
_COMMA = re.compile(r", ?")
_LINE_END = re.compile(r"[ \t]*(?:\n|$)")
_REPORTING = re.compile(r"\b(?:said|says|told|added|noted|stressed|explained)\b")


_CACHE: dict[int, dict[str, frozenset[str]]] = {}


def lists(lex: Lexicon) -> dict[str, frozenset[str]]:
    """Word sets from lexicon.yml, casefolded once per lexicon."""
    if id(lex) not in _CACHE:
        _CACHE[id(lex)] = _build_lists(lex)
    return _CACHE[id(lex)]


def _build_lists(lex: Lexicon) -> dict[str, frozenset[str]]:
    w = lex.words
    heads = {h.casefold() for hs in w["org_heads"].values() for h in hs if " " not in h}
    return {
        "title": frozenset(t.casefold() for t in w["title_words"]),
        "prefix": frozenset(norm_key(t) for t in w["prefix_titles"]),
        "prefix_last": frozenset(norm_key(t).rsplit(" ", 1)[-1] for t in w["prefix_titles"]),
        "labels": frozenset(w["name_labels"]),
        "heads": frozenset(heads),
        "events": frozenset(e.casefold() for e in w["event_words"] if " " not in e),
        "place_words": frozenset(w["place_words"]),
        "not_names": frozenset(w["not_names"]),
        "org_nouns": frozenset(x.casefold() for x in w["title_org_nouns"]),
        "not_name_words": frozenset(x.casefold() for x in w["not_name_words"]),
        "english_surnames": frozenset(w["english_word_surnames"]),
        "head_titles": frozenset(x.casefold() for x in w["head_title_words"]),
        "given_names": frozenset(w["western_given_names"]),
        "eponym_words": frozenset(x.casefold() for x in w["eponym_words"]),
    }


def is_given_name(word: str, lex: Lexicon) -> bool:
    """ "Haidong" -> hai+dong: one to three pinyin syllables, capitalised once."""
    parts = word.replace("'", "-").split("-")
    if (
        not word[:1].isupper()
        or len(word) > 12
        or not all(p.isascii() and p.isalpha() for p in parts)
    ):
        return False
    if any(p[1:] != p[1:].lower() for p in parts if p):
        return False
    flat = "".join(parts).lower()
    return _splits(flat, lex.syllables, 3)


def _splits(s: str, syllables: frozenset[str], budget: int) -> bool:
    if not s:
        return True
    if budget == 0:
        return False
    return any(
        s[:k] in syllables and _splits(s[k:], syllables, budget - 1)
        for k in range(min(6, len(s)), 0, -1)
    )


def _is_name_word(tok: Token, lex: Lexicon, L: dict[str, frozenset[str]]) -> bool:
    low = tok.lower
    return (
        tok.cap
        and not tok.text.isupper()
        and tok.text.isalpha() is not False
        and low not in L["title"]
        and low not in L["heads"]
        and low not in L["events"]
        and low not in L["not_name_words"]
        and tok.text not in L["place_words"]
        and not lex.lookup_en(low, tok.text)
    )


def pinyin_names(text: str, toks: list[Token], lex: Lexicon) -> list[tuple[int, int]]:
    """Token index ranges [i, j) of Chinese names written in pinyin, surname first."""
    L = lists(lex)
    found = []
    for i, t in enumerate(toks[:-1]):
        nxt = toks[i + 1]
        if t.text not in lex.surnames or t.possessive or not joined(text, t, nxt):
            continue
        if not is_given_name(nxt.text, lex) or nxt.text in L["place_words"]:
            continue
        if (
            i + 2 < len(toks)
            and joined(text, nxt, toks[i + 2])
            and toks[i + 2].text in L["place_words"]
        ):
            continue
        if (
            i > 0
            and joined(text, toks[i - 1], t)
            and toks[i - 1].cap
            and toks[i - 1].lower not in L["title"]
        ):
            continue  # inside a longer capitalised phrase ("Jin Ji Lake", "Hong Kong ...")
        pair = f"{t.text} {nxt.text}"
        if pair in L["not_names"] or lex.en.get(norm_key(pair)):
            continue
        found.append((i, i + 2))
    return found


def _name_after(text: str, toks: list[Token], i: int, lex: Lexicon, max_len: int = 3) -> int:
    """How many name-shaped tokens start at i (0 if none); a middle initial ("Brian L. Halla")
    does not count towards `max_len`."""
    L = lists(lex)
    n = initials = 0
    while i + n < len(toks) and n < max_len + initials:
        tok = toks[i + n]
        if n and not joined(text, toks[i + n - 1], tok):
            break
        if n and _INITIAL.fullmatch(tok.text) and i + n + 1 < len(toks):
            initials += 1
        elif not _is_name_word(tok, lex, L):
            break
        n += 1
        if tok.possessive:
            break
    while n and _INITIAL.fullmatch(toks[i + n - 1].text):
        n -= 1  # a name ends in a name word, not an initial
    return n


def _title_owner(text: str, toks: list[Token], first: int, lex: Lexicon) -> int:
    """Where a prefix title starts once the place or body it belongs to is included: up to three
    joined capitalised words right before it ("Yixing Mayor", "NIO founder"), not a sentence's
    opening word ("The", "At")."""
    L = lists(lex)
    k = first
    while (
        k > 0
        and first - k < 3
        and joined(text, toks[k - 1], toks[k])
        and toks[k - 1].cap
        and toks[k - 1].lower not in L["not_name_words"]
        and toks[k - 1].lower not in L["title"]
    ):
        k -= 1
    return k


def _given_name_first(text: str, toks: list[Token], i: int, n: int, lex: Lexicon) -> bool:
    """ "When David Blair from the media delegation asked": a common Western given name and a
    family name, with no capitalised word joined after them (a "David Smith Group" is a body)."""
    nxt = i + n
    L = lists(lex)
    return (
        n == 2
        and toks[i].text in L["given_names"]
        and toks[i + 1].lower not in L["eponym_words"]  # "Matthew Effect" is an idea
        and not (nxt < len(toks) and joined(text, toks[nxt - 1], toks[nxt]) and toks[nxt].cap)
    )


def _coordinated_name(text: str, toks: list[Token], i: int, lex: Lexicon) -> tuple[int, int] | None:
    """The name after " and " at token i, when a name just ended there."""
    if i + 1 < len(toks) and toks[i].lower == "and" and joined(text, toks[i - 1], toks[i]):
        n = _name_after(text, toks, i + 1, lex)
        if n >= 2 and joined(text, toks[i], toks[i + 1]):
            return i + 1, i + 1 + n
    return None


def _prefix_title_before(text: str, toks: list[Token], i: int, lex: Lexicon) -> int:
    """Number of tokens before index i that form a title such as "Vice Mayor" (0 if none)."""
    L = lists(lex)
    if i == 0 or not joined(text, toks[i - 1], toks[i]):
        return 0  # every title tried below ends right before token i
    last = norm_key(toks[i - 1].text)
    if last and last.rsplit(" ", 1)[-1] not in L["prefix_last"]:
        return 0  # each phrase's key ends with the key of its last token (norm_key is per word)
    for k in (3, 2, 1):
        if i - k < 0:
            continue
        seq = toks[i - k : i]
        if (
            all(joined(text, a, b) for a, b in zip(seq, [*seq[1:], toks[i]], strict=True))
            and norm_key(" ".join(t.text for t in seq)) in L["prefix"]
        ):
            return k
    return 0


def _title_before_comma(
    text: str, toks: list[Token], i: int, lex: Lexicon
) -> tuple[int, int] | None:
    """ "The group's general manager, Federico Zoppas, visited": the lowercase title that ends
    right before ", <name>" (character span), or None. Capitalised words other than title words
    stop it, so "In Beijing, Wang Wei" is no title."""
    L = lists(lex)
    if i == 0 or not _COMMA.fullmatch(text, toks[i - 1].full_end, toks[i].start):
        return None
    k = i - 1
    first = None
    while k >= 0 and i - k <= 4 and toks[k].lower in L["title"] and not toks[k].possessive:
        if toks[k].text[:1].isupper() and toks[k].lower not in L["prefix"]:
            break
        first = k
        if k == 0 or not joined(text, toks[k - 1], toks[k]):
            break
        k -= 1
    if first is None or not any(toks[m].lower in L["head_titles"] for m in range(first, i)):
        return None
    return toks[first].start, toks[i - 1].end


def read_title(
    text: str, toks: list[Token], i: int, lex: Lexicon, person_starts: set[int]
) -> tuple[int, int] | None:
    """The title appositive starting at token i, as a character span, or None."""
    L = lists(lex)
    while i + 1 < len(toks) and toks[i].lower in _TITLE_LEAD:
        i += 1  # ", also general secretary of ...", ", currently the chairman of ..."
    if i >= len(toks) or toks[i].lower not in L["title"]:
        return None
    last = i
    j = i + 1
    while j < len(toks) and (
        joined(text, toks[j - 1], toks[j])
        or corporate_comma(text, toks, j)
        or bracketed(text, toks, j)
        or _listed_title(text, toks, i, j, L["title"])
    ):
        t = toks[j]
        low = t.lower
        if t.start in person_starts:
            break
        if low == "and":
            nxt = toks[j + 1] if j + 1 < len(toks) else None
            if nxt is None or nxt.start in person_starts or not joined(text, t, nxt):
                break
            if not nxt.cap and nxt.lower not in L["title"]:
                break
        elif low in _CONNECTORS:
            pass
        elif t.cap or low in L["title"] or low in L["org_nouns"]:
            last = j
        else:
            break
        if t.possessive and t.text not in ("People",):
            last = j
            break
        j += 1
    return toks[i].start, toks[last].end


def _listed_title(text: str, toks: list[Token], i: int, j: int, titles: frozenset[str]) -> bool:
    """ "founder, chairman and CEO of NIO": title words listed with commas before the rest."""
    return (
        _COMMA.fullmatch(text, toks[j - 1].full_end, toks[j].start) is not None
        and toks[j].lower in titles
        and all(t.lower in titles or t.lower == "and" for t in toks[i:j])
    )


def split_roles(title: str, lex: Lexicon) -> list[dict[str, str]]:
    """ "Deputy Secretary of X and Mayor of Y" -> [{role, organization}, {role, organization}]."""
    L = lists(lex)
    parts: list[str] = []
    for piece in re.split(r"\s+and\s+", title):
        first = piece.split()[0].casefold() if piece.split() else ""
        if parts and first not in L["title"]:
            parts[-1] += " and " + piece
        else:
            parts.append(piece)
    roles = []
    for part in parts:
        role, sep, org = part.partition(" of ")
        entry = {"role": role.strip()}
        org = re.sub(r"^the\s+", "", org.strip(), flags=re.I)
        if sep and org:
            entry["organization"] = org
        roles.append(entry)
    return roles


def _person(name: str) -> Entity:
    return Entity(type="person", name=" ".join(name.replace("’", "'").split()))


def find_people(text: str, toks: list[Token], lex: Lexicon) -> list[Span]:
    L = lists(lex)
    names: dict[int, tuple[int, int]] = {}  # start token -> (i, j)
    for i, j in pinyin_names(text, toks, lex):
        names[i] = (i, j)
    titles: dict[int, tuple[int, int]] = {}  # start token -> title char span (before the name)
    by_start = {t.start: k for k, t in enumerate(toks)}
    # Titled names: "Minister Tanazaki Jiabang", "Vice Mayor Wang Wei".
    for i in range(1, len(toks)):
        if not toks[i].cap and i not in names:
            continue  # no name starts here (a name's first word is capitalised)
        k = _prefix_title_before(text, toks, i, lex)
        if not k:
            continue
        n = names[i][1] - i if i in names else _name_after(text, toks, i, lex)
        if n >= 2:
            names.setdefault(i, (i, i + n))
            first = _title_owner(text, toks, i - k, lex)  # "Yixing Mayor", "NIO founder"
            titles[i] = (toks[first].start, toks[i - 1].end)
            shared = _coordinated_name(text, toks, i + n, lex)
            if shared is not None:  # "Performers Wang Fang and Zhao Wenlin"
                names.setdefault(shared[0], shared)
                titles[shared[0]] = titles[i]
    # Labelled names: "Editor: Yang Meiping".
    # Longest label first, so the pattern (and its match) is the same whatever the hash seed.
    labels = sorted(L["labels"], key=lambda label: (-len(label), label))
    for m in re.finditer(
        r"(?m)(?:^|(?<=\s))(" + "|".join(map(re.escape, labels)) + r")\s*[:：]\s*", text
    ):
        i = by_start.get(m.end())
        if i is None:
            continue
        n = names[i][1] - i if i in names else _name_after(text, toks, i, lex)
        alone = n == 1 and _LINE_END.match(text, toks[i].full_end) is not None
        if n >= 2 or (n == 1 and (toks[i].text in lex.surnames or alone)):
            names.setdefault(i, (i, i + n))
            titles[i] = (m.start(1), m.end(1))
    # "<Name>, <title>" and reporting verbs, for names of any origin.
    for i in range(len(toks)):
        if i in names or not toks[i].cap:
            continue
        n = _name_after(text, toks, i, lex)
        if n < 2 or (
            i > 0
            and joined(text, toks[i - 1], toks[i])
            and toks[i - 1].cap
            and toks[i - 1].lower not in L["not_name_words"]  # "When David Blair ..."
        ):
            continue
        end = toks[i + n - 1]
        lead = _title_before_comma(text, toks, i, lex)
        if lead and text[end.full_end : end.full_end + 1] in (",", ""):
            names[i] = (i, i + n)
            titles[i] = lead
            continue
        after = text[end.full_end : end.full_end + 2]
        before = text[max(0, toks[i].start - 12) : toks[i].start]
        if (
            after.startswith(",")
            and i + n < len(toks)
            and read_title(text, toks, i + n, lex, set())
            or _REPORTING.search(before)
            and before.rstrip().endswith(("said", "says", "told"))
            or _REPORTING.match(text, end.full_end + 1)
            and not end.possessive
            or _given_name_first(text, toks, i, n, lex)
        ):
            names[i] = (i, i + n)
    person_starts = {toks[i].start for i in names}
    spans: list[Span] = []
    for i, (a, b) in sorted(names.items()):
        name = text[toks[a].start : toks[b - 1].end]
        if name in L["not_names"]:
            continue
        span = Span(toks[a].start, toks[b - 1].end, _person(name))
        last = toks[b - 1]
        if text[last.full_end : last.full_end + 1] == "," and b < len(toks):
            t = read_title(text, toks, b, lex, person_starts)
            if t:
                span.title = text[t[0] : t[1]]
        if span.title is None and i in titles:
            span.title = text[titles[i][0] : titles[i][1]]
        if span.title:
            span.roles = split_roles(span.title, lex)
        spans.append(span)
    return spans + _surname_mentions(text, toks, lex, spans)


def _surname_mentions(text: str, toks: list[Token], lex: Lexicon, people: list[Span]) -> list[Span]:
    """ "Mayor Li" and "Lan" after "Li Yaping" and "Lan Shaomin": same entity, when unambiguous."""
    L = lists(lex)
    by_surname: dict[str, set[str]] = {}
    ents: dict[str, Entity] = {}
    for p in people:
        words = p.entity.name.split()
        key = words[0] if words[0] in lex.surnames else words[-1]
        by_surname.setdefault(key, set()).add(p.entity.id)
        ents[p.entity.id] = p.entity
    covered = [(p.start, p.end) for p in people]
    out = []
    for i, t in enumerate(toks):
        ids = by_surname.get(t.text)
        if not ids or len(ids) != 1 or any(a <= t.start < b for a, b in covered):
            continue
        if i + 1 < len(toks) and joined(text, t, toks[i + 1]) and toks[i + 1].cap:
            continue
        k = _prefix_title_before(text, toks, i, lex)
        prev_joined_cap = i > 0 and joined(text, toks[i - 1], t) and toks[i - 1].cap
        if not k and (t.text in L["english_surnames"] or prev_joined_cap):
            continue
        span = Span(t.start, t.end, ents[next(iter(ids))])
        if k:
            span.title = text[toks[i - k].start : toks[i - 1].end]
            span.roles = [{"role": span.title}]
        elif text[t.full_end : t.full_end + 1] == "," and i + 1 < len(toks):
            stated = read_title(
                text, toks, i + 1, lex, set()
            )  # "said Li, currently the chairman of"
            if stated:
                span.title = text[stated[0] : stated[1]]
                span.roles = split_roles(span.title, lex)
        out.append(span)
    return out
