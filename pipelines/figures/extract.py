"""Find the figures in a text: numbers with what makes them a figure (currency, unit, noun).

One pass over number tokens (digits, English number words, Chinese numerals, ordinals). For
each token, small anchored regexes read what sits right before it (currency, name) and right
after it (scale, currency, unit, counted noun); a second pass reads the sentence for bound,
change, period, metric and subject, and links conversions. Every regex is anchored at a known
position or is a literal alternation, so a text is processed in linear time.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from crawler.items import Figure
from crawler.text import ArticleText

from . import context
from .lexicon import (
    BASE_UNITS,
    CURRENCY_PREFIXES,
    CURRENCY_SUFFIXES,
    EN_ORDINALS,
    EN_SCALE_LETTERS,
    EN_SCALES,
    EN_TIME_WORDS,
    QUALIFIERS_INSIDE,
    UNITS,
    ZH_CLASSIFIERS,
    ZH_NON_FIGURE_SUFFIXES,
    ZH_SCALES,
    alternation,
)
from .numerals import ZH_DIGITS, Number, fold_width, numbers, zh_numeral
from .text import Masks

_SP = r"[ \u00a0]"
_RANK_RE = re.compile(
    r"(?=[\dfstenrpcFSTENRPC排位居第])"  # what a rank phrase can start with: a cheap first test
    rf"(?P<rank>\b(?:{alternation(EN_ORDINALS)}|\d{{1,3}}(?:st|nd|rd|th))"
    r"(?=[ \u00a0-](?:highest|largest|biggest|lowest|fastest|strongest|richest|most|place|position"
    r"|among|in (?:China|the country|the nation|the world|the province))\b))"
    rf"|\b(?:rank(?:s|ed|ing)?|placed|placing|came|comes)[ \u00a0](?P<ranked>{alternation(EN_ORDINALS)}"
    r"|\d{1,3}(?:st|nd|rd|th))\b"
    r"|(?P<zhrank>(?:排名|位居|位列|居)(?:全国|全省|全球|世界|全市|全国城市)?第[一二三四五六七八九十\d]+"
    r"(?:位|名)?|第[一二三四五六七八九十\d]+(?=大|位|名))",
    re.IGNORECASE,
)
_PREFIX_RE = re.compile(rf"(?<![A-Za-z])({alternation(CURRENCY_PREFIXES)}){_SP}?\Z")
_NAME_BEFORE_RE = re.compile(
    r"(?<![A-Za-z])(?:No\.|Nos\.|Room|Building|Floor|Suite|Gate|Line|Phase|Hall|Booth|Exit|Route"
    r"|Lane|Article|Chapter|Section|Level|Grade|Class|Page|Vol\.|Issue|Tower|Block|Unit|Plot"
    r"|Fortune|Global|Forbes|Top|top|Industry|Model|Version|Windows|Boeing|Airbus|iPhone|Team"
    r"|Road|Street|Avenue|District|Station|Terminal|Berth|Platform|Highway|Expressway|Metro"
    r"|Flight|Batch|Session|Round|Stage|Category|Type|Series|number|No|#)[ \u00a0]?\Z"
)
_EN_SCALE_RE = re.compile(rf"{_SP}?({alternation(EN_SCALES)})(?![A-Za-z])", re.IGNORECASE)
_LETTER_SCALE_RE = re.compile(rf"({alternation(EN_SCALE_LETTERS)})(?![A-Za-z])", re.IGNORECASE)
_ZH_SCALE_RE = re.compile(alternation(ZH_SCALES))
_INSIDE_RE = re.compile(alternation(QUALIFIERS_INSIDE))
_SUFFIX_RE = re.compile(
    rf"{_SP}?({alternation(list(UNITS) + list(CURRENCY_SUFFIXES))})(?![A-Za-z²³])"
)
_HYPHEN_UNIT_RE = re.compile(
    r"-((?:square|sq)-(?:kilometers?|kilometres?|meters?|metres?)|hectares?|acres?|mu|tonnes?"
    r"|tons?|(?:kilo|mega|giga)watts?|kW|MW|GW|kWh|MWh|GWh|TEU|percent|per-cent)(?![A-Za-z-])"
)
_LEVEL_RE = re.compile(r"-((?:hundred-)?(?:thousand|million|billion|trillion))(?:-yuan)?-level")
_ADJ_MONEY_RE = re.compile(r"-(thousand|million|billion|trillion)-(yuan|dollar|euro)(?![A-Za-z])")
_TIME_RE = re.compile(rf"{_SP}?(?:{alternation(EN_TIME_WORDS)})(?![A-Za-z])", re.IGNORECASE)
_WORD_RE = re.compile(r"[ \u00a0]([A-Za-z][A-Za-z'’-]*)")
_ZH_NOUN_RE = re.compile(r"[\u4e00-\u9fff]{1,10}")
_ZH_NOUN_BEFORE_RE = re.compile(r"[\u4e00-\u9fff]{1,4}\Z")
_ZH_VERB_RE = re.compile("集中|签约|开工|落户|投产|建成|完成|实现|总投资|共计|合计|参加|入驻|分别")
_ZH_NOUN_STOP = "的在和与及等并已将于为是有了从对向共达均都被把以参签落获中"
_ANAPHOR_BEFORE_RE = re.compile(
    r"(?<![A-Za-z])((?:an? )?(increase|rise|decrease|drop|decline|growth|jump) of"
    r"|(up|down|rose|fell|increased|decreased|grew|dropped) by) \Z",
    re.IGNORECASE,
)
_ANAPHOR_AFTER_RE = re.compile(
    r" (?:(more|fewer|less) than|have|has|had|were|are|was|of them|of which)\b"
)
_NUMBER_OF_RE = re.compile(r"\bnumber of ((?:[a-z-]+ ){0,4}?[a-z-]+s)\b")
_NOT_PLURAL = frozenset(
    (
        "this", "its", "his", "has", "was", "is", "does", "goes", "gets", "makes", "takes", "plus",
        "less", "unless", "various", "previous", "famous", "numerous", "serious", "across", "thus",
        "per", "cent", "percent", "yuan", "times", "years", "months", "days", "overseas", "weeks",
        "hours", "minutes", "seconds", "decades", "quarters", "us"
    )
)  # fmt: skip
_COUNT_STOP = frozenset(
    (
        "of", "in", "to", "from", "with", "for", "and", "or", "the", "a", "an", "at", "on", "by",
        "as", "that", "which", "who", "were", "was", "is", "are", "have", "has", "had", "will",
        "would", "than", "more", "less", "worth", "each", "per", "across", "into", "over", "under",
        "such", "including", "between", "among", "about", "around", "nearly", "respectively", "while",
        "this", "these", "those", "its", "their"
    )
)  # fmt: skip
_ACRONYM_RE = re.compile(r"[A-Z][A-Z&]{1,5}s?")
_IRREGULAR_PLURALS = frozenset(
    ["people", "staff", "personnel", "children", "men", "women", "talent", "talents"]
)


@dataclass
class _Raw:
    """A figure before its sentence is read; `anaphor` marks counts whose noun comes later,
    `listed` the bare numbers before it that share its unit ("6.9和1.4个百分点")."""

    fig: Figure
    anaphor: bool = False
    listed: list[_Bare] = field(default_factory=list)


@dataclass
class _Bare:
    """A number with no unit of its own, followed by a list separator and another number."""

    start: int
    end: int
    value: float
    next_start: int  # where the next number must start for the list to go on
    conjunction: bool  # the separator is "and", "和", "至", "-" ..., not a bare comma


_LIST_SEP_RE = re.compile(
    r"(?:[ \u00a0]+(?:and|or|to)[ \u00a0]+|[ \u00a0]*([和与及或至到、~～\-–—]|,)[ \u00a0]*)"
    r"(?=[\d零〇一二两三四五六七八九十])"
)


def extract_figures(text: str | ArticleText, lang: str | None = None) -> list[Figure]:
    """Every figure in `text`, in order of appearance; pure and never raises on odd text.

    `text` is a string or an `ArticleText` shared with the other extractors (its folding and
    sentences are then reused, and its `published_at` resolves "last year", 上年, 1-8月 ...).
    `lang` is accepted as a hint but both grammars always run: English pages quote Chinese
    amounts and Chinese pages write "US$" and "%", so choosing one grammar loses figures.
    """
    doc = ArticleText.of(text, lang)
    return _extract(doc) if doc.body else []


def _extract(doc: ArticleText) -> list[Figure]:
    original = doc.body
    text = fold_width(doc.simplified)  # same length as the body: offsets hold for both
    masks = Masks(text)
    raws = _read_all(text, masks)
    figures = _imply_currency(_resolve(text, raws, doc, masks))
    _link_conversions(text, figures)
    _carry_change(text, figures)
    _mark_restatements(figures)
    if text != original:
        for fig in figures:
            fig.text = original[fig.start : fig.end]
            fig.sentence = original[
                fig.sentence_start or 0 : (fig.sentence_start or 0) + len(fig.sentence or "")
            ]
    return figures


def _tokens(text: str) -> Iterator[Number | re.Match[str]]:
    """Numbers and rank phrases in text order; a rank wins over a number starting with it."""
    ranks = ((m.start(), 0, i, m) for i, m in enumerate(_RANK_RE.finditer(text)))
    nums = ((n.start, 1, i, n) for i, n in enumerate(numbers(text)))
    for *_, tok in heapq.merge(ranks, nums):
        yield tok


def _read_all(text: str, masks: Masks) -> list[_Raw]:
    raws: list[_Raw] = []
    last_end = -1
    chain: list[_Bare] = []
    for tok in _tokens(text):
        start, end = (tok.start, tok.end) if isinstance(tok, Number) else tok.span()
        if start < last_end or masks.covers(start, end):
            continue
        got = _read_number(text, tok) if isinstance(tok, Number) else _read_rank(text, tok)
        if chain and chain[-1].next_start != start:
            chain = []
        if isinstance(got, _Bare):
            chain.append(got)
        elif got is None:
            chain = []
        else:
            if chain and chain[-1].conjunction and got.fig.kind != "rank":
                got.listed = chain
            chain = []
            raws.append(got)
            last_end = got.fig.end
    return raws


def _read_number(text: str, n: Number) -> _Raw | _Bare | None:
    if n.kind == "word":
        return _read_word(text, n)
    if text[max(0, n.start - 3) : n.start] in ("百分之", "千分之"):
        return _per_hundred(text, n)
    if n.kind == "zh":
        return _read_zh(text, n)
    return _read_digits(text, n)


def _per_hundred(text: str, n: Number) -> _Raw | None:
    """百分之五十 (50 %), 千分之三 (0.3 %): the Chinese way of writing a percentage."""
    start = n.start - 3
    if n.scale is not None or (start and text[start - 1] in _NOT_ONE_BEFORE_PER):
        return None  # 五百分之二 is a fifth of a percent's worth: a fraction, not a percentage
    per_mille = text[start] == "千"
    return _Raw(
        Figure(
            text=text[start : n.end],
            start=start,
            end=n.end,
            kind="percent",
            value=n.value,
            normalized=_round(n.value / 10 if per_mille else n.value),
            unit="%",
        )
    )


_NOT_ONE_BEFORE_PER = frozenset("零〇二两三四五六七八九十百千万又0123456789")


def _read_digits(text: str, n: Number) -> _Raw | _Bare | None:
    s, e = n.start, n.end
    value, token = n.value, n.token
    prefix = _PREFIX_RE.search(text, max(0, s - 6), s)
    currency = CURRENCY_PREFIXES[prefix.group(1)] if prefix else None
    start = prefix.start() if prefix else s
    before = text[s - 1] if s else ""
    if currency is None:
        if before and before.isascii() and (before.isalpha() or before in "#/."):
            return None  # "A380", "G20", "#3", "1/3", ".5"
        if before == "-" and s >= 2 and not text[s - 2].isdigit():
            return None  # "COVID-19", "Post-4-Trillion"
        if n.scale is None and _NAME_BEFORE_RE.search(text, max(0, s - 12), s):
            return None  # "District 5", "Fortune 500"; but "New District 20 billion" is money
    pos = e
    after = text[e : e + 1]
    scale_word, mult = n.scale, n.mult
    if scale_word is None and currency and after.isalpha() and after.isascii():
        lm = _LETTER_SCALE_RE.match(text, e)
        if lm:
            scale_word, mult, pos = lm.group(1), EN_SCALE_LETTERS[lm.group(1).lower()], lm.end()
    elif after.isascii() and (after.isalnum() or after == "_") and not _SUFFIX_RE.match(text, e):
        return None  # "5G", "3M", "A380" are names; "10kg", "1.2bn" are figures
    if after == "-" and not text[e + 1 : e + 2].isdigit():
        unit = _HYPHEN_UNIT_RE.match(text, e)  # "a 50,000-square-meter plant", "a 5-percent rise"
        if unit and scale_word is None:
            word = unit.group(1).replace("-", " ").replace("sq ", "square ")
            return _Raw(_measure(text, start, unit.end(), value, None, 1.0, word))
        level = _LEVEL_RE.match(text, e)
        if level:
            return _count_level(text, start, level, value)
        adj = _ADJ_MONEY_RE.match(text, e)
        if not adj:
            return None
        scale_word, mult = adj.group(1), EN_SCALES[adj.group(1)]
        currency = CURRENCY_SUFFIXES[adj.group(2)]
        return _Raw(_money(text, start, adj.end(), value, scale_word, mult, currency))
    if text[pos : pos + 1] == "," and text[pos + 1 : pos + 2].isdigit() and scale_word is None:
        return None  # "1,2345": not a well-formed number
    return _after_number(text, start, pos, token, value, currency, scale_word, mult, n.inside)


def _after_number(
    text: str,
    start: int,
    pos: int,
    token: str,
    value: float,
    currency: str | None,
    scale_word: str | None,
    mult: float,
    inside: str | None = None,
) -> _Raw | _Bare | None:
    """Read scale, inner qualifier and unit/currency after a number ending at `pos`."""
    if inside is None:
        im = _INSIDE_RE.match(text, pos)
        if im and (_ZH_SCALE_RE.match(text, im.end()) or _suffix_or_classifier(text, im.end())):
            inside, pos = im.group(), im.end()
    if scale_word is None:
        zs = _ZH_SCALE_RE.match(text, pos)
        es = _EN_SCALE_RE.match(text, pos) if not zs else None
        if zs and not (zs.group() == "千" and not _SUFFIX_RE.match(text, zs.end())):
            scale_word, mult, pos = zs.group(), ZH_SCALES[zs.group()], zs.end()
        elif es:
            scale_word, mult, pos = es.group(1), EN_SCALES[es.group(1).lower()], es.end()
    if inside is None:
        im = _INSIDE_RE.match(text, pos)
        if im and _suffix_or_classifier(text, im.end()):
            inside, pos = im.group(), im.end()
    suffix = _SUFFIX_RE.match(text, pos)
    plain = scale_word is None and currency is None
    if plain and token.isdigit() and not suffix:
        if 1900 <= value <= 2100:
            return None  # a year
        if len(token) >= 7 or (len(token) > 1 and token[0] == "0"):
            return None  # an identifier: licence, account or serial number
    fig: Figure | None = None
    end = pos
    if suffix:
        word = suffix.group(1)
        end = suffix.end()
        if word in CURRENCY_SUFFIXES:
            fig = _money(
                text, start, end, value, scale_word, mult, currency or CURRENCY_SUFFIXES[word]
            )
        elif word in UNITS:
            fig = _measure(text, start, end, value, scale_word, mult, word)
    elif currency:
        fig = _money(text, start, pos, value, scale_word, mult, currency)
    elif plain and text[pos : pos + 1] == "成" and text[pos + 1 : pos + 2] not in _CHENG_STOP:
        fig = _tenths(text, start, pos, value)
    if fig is None:
        if _TIME_RE.match(text, pos) or text[pos : pos + 1] in ZH_NON_FIGURE_SUFFIXES:
            return None
        if text[pos : pos + 2] == "个月":
            return None  # "3个月": a duration
        fig = _count(text, start, pos, value, scale_word, mult)
    if fig is None and scale_word is not None:
        if text[pos : pos + 1].isalpha():
            return None  # "374.8万标箱" with an unknown unit: not money
        fig = _money(text, start, pos, value, scale_word, mult, None)
    if fig is None and plain:
        sep = _LIST_SEP_RE.match(text, pos)
        if sep:
            return _Bare(start, pos, value, sep.end(), sep.group(1) != ",")
        return _anaphor(text, start, pos, token, value)
    if fig is None:
        return None
    if inside:
        fig.qualifier, fig.bound = inside, QUALIFIERS_INSIDE[inside]
    return _Raw(fig)


# 成 is tenths (三成 = 30 %) except in words: 成为, 成立, 建成 ..., 一成不变
_CHENG_STOP = frozenset("为立功本交果绩员都长就熟型品效年分色不")


def _tenths(text: str, start: int, pos: int, value: float) -> Figure | None:
    """三成 = 30 %, 近三成 = nearly 30 %: 成 counts tenths."""
    if not 0 < value <= 10:
        return None
    fig = Figure(
        text=text[start : pos + 1], start=start, end=pos + 1, kind="percent", value=value,
        scale="成", normalized=_round(value * 10), unit="%",
    )  # fmt: skip
    if text[pos + 1 : pos + 2] == "多":  # 两成多: more than 20 %
        fig.qualifier, fig.bound = "多", ">"
    return fig


_RATE_RE = re.compile(
    r"(?:[ \u00a0]+(?:per|a|each)[ \u00a0]+(month|year|day)|/(month|year|day|月|年|天|日))(?![A-Za-z])"
)
_RATE_UNITS = {"月": "month", "年": "year", "天": "day", "日": "day"}


def _rate(text: str, pos: int) -> tuple[str, int] | None:
    """("month", end) for "per month", "a year", "/月": a figure counted per period."""
    m = _RATE_RE.match(text, pos)
    if not m:
        return None
    word = m.group(1) or m.group(2)
    return _RATE_UNITS.get(word, word), m.end()


def _measure(
    text: str, start: int, end: int, value: float, scale: str | None, mult: float, word: str
) -> Figure:
    kind, unit, factor = UNITS[word]
    rate = _rate(text, end) if kind == "count" else None  # "200,000 TEU a year"
    if rate:
        unit, end = f"{unit}/{rate[0]}", rate[1]
    return Figure(
        text=text[start:end], start=start, end=end, kind=kind, value=value, scale=scale,
        normalized=_round(value * mult * factor), unit=unit,
        counted=UNITS[word][1] if kind == "count" else None,
        normalized_unit=UNITS[word][1] if kind == "count" else BASE_UNITS.get(kind),
    )  # fmt: skip


def _suffix_or_classifier(text: str, pos: int) -> bool:
    return bool(_SUFFIX_RE.match(text, pos)) or text[pos : pos + 1] in ZH_CLASSIFIERS


def _round(x: float) -> float:
    return float(f"{x:.12g}")


def _money(
    text: str, start: int, end: int, value: float, scale: str | None, mult: float,
    currency: str | None,
) -> Figure:  # fmt: skip
    return Figure(
        text=text[start:end], start=start, end=end, kind="money", value=value, scale=scale,
        normalized=_round(value * mult), currency=currency, unit=currency,
    )  # fmt: skip


def _count(
    text: str, start: int, pos: int, value: float, scale: str | None, mult: float
) -> Figure | None:
    """A count when a classifier (Chinese) or a plural noun phrase (English) follows."""
    if text[pos : pos + 1] in ZH_CLASSIFIERS and text[pos : pos + 1]:
        if text[pos : pos + 2] == "位数":
            return None  # "两位数增长": double-digit growth
        noun = "" if text[pos] in "人户" else _zh_noun_after(text, pos + 1)
        if noun in _PLACE_CHARS and text[start : start + 1] in ZH_DIGITS:
            return None  # 五台山 (Mount Wutai), 三家村: a place name, not a count
        end = pos + 1 + len(noun)
        counted = noun or ("" if text[pos] in "人户" else _zh_noun_before(text, start)) or text[pos]
        return _counted(text, start, end, value, scale, mult, counted)
    more = _MORE_RE.match(text, pos)  # "ten more German companies"
    words: list[tuple[str, int]] = []
    cursor = more.end() if more else pos
    for _ in range(6):
        wm = _WORD_RE.match(text, cursor)
        word = wm.group(1) if wm else ""
        if not wm or not word[0].isalpha():
            break
        if word.lower() in _COUNT_STOP and not (word in ("and", "&") and words):
            break  # "and" only inside a noun phrase: "upstream and downstream enterprises"
        words.append((wm.group(1), wm.end()))
        cursor = wm.end()
    head = next((i for i, (w, _) in enumerate(words) if w != "and" and _is_plural(w)), None)
    if head is None or not (words[head][0][0].islower() or _ACRONYM_RE.fullmatch(words[head][0])):
        return None  # "5 Star Hotels" is a name; "330 German companies" is a count
    end = words[head][1]
    counted = " ".join(w for w, _ in words[: head + 1])
    fig = _counted(text, start, end, value, scale, mult, counted)
    if more:
        fig.change, fig.direction = "more", "increase"
    return fig


_PLACE_CHARS = frozenset("山湖江河村镇路街桥岛")
_MORE_RE = re.compile(r"[ \u00a0]more(?=[ \u00a0][A-Za-z])")


def _counted(
    text: str, start: int, end: int, value: float, scale: str | None, mult: float, counted: str
) -> Figure:
    """A count ending at `end`, with "per month" or "/月" after it read as its rate."""
    unit = "items"
    rate = _rate(text, end)
    if rate:
        unit, end = f"items/{rate[0]}", rate[1]
    return Figure(
        text=text[start:end], start=start, end=end, kind="count", value=value, scale=scale,
        normalized=_round(value * mult), unit=unit, counted=counted,
    )  # fmt: skip


def _zh_noun_after(text: str, pos: int) -> str:
    """The Han characters after a classifier, up to the first function character (max 6)."""
    run = _ZH_NOUN_RE.match(text, pos)
    if not run:
        return ""
    word = run.group()
    cut = next((i for i, c in enumerate(word) if c in _ZH_NOUN_STOP), len(word))
    verb = _ZH_VERB_RE.search(word)
    return word[: min(cut, verb.start() if verb else cut)]


def _zh_noun_before(text: str, start: int) -> str:
    """'项目' in '项目共142个': the two Han characters before the number, skipping function ones."""
    run = _ZH_NOUN_BEFORE_RE.search(text, max(0, start - 4), start)
    word = run.group().rstrip(_ZH_NOUN_STOP + "近约逾超多余计合") if run else ""
    return word[-2:] if len(word) >= 2 else ""


def _is_plural(word: str) -> bool:
    if _ACRONYM_RE.fullmatch(word):
        return word.endswith("s")  # "NEVs", "SMEs"; a bare "IC" is a modifier
    w = word.lower().rstrip("'’")
    if w in _IRREGULAR_PLURALS:
        return True
    if w in _NOT_PLURAL or len(w) < 4 or "-" in w:
        return False
    return w.endswith("s") and not w.endswith(("ss", "us", "is", "ous"))


def _count_level(text: str, start: int, level: re.Match[str], value: float) -> _Raw | None:
    """'3-trillion-level industries': three industries, each at the trillion level."""
    fig = _count(text, start, level.end(), value, None, 1.0)
    if fig is None:
        return None
    fig.counted = text[level.start() + 1 : fig.end]
    return _Raw(fig)


def _anaphor(text: str, start: int, pos: int, token: str, value: float) -> _Raw | None:
    """A bare number whose noun is in the sentence: 'an increase of 17', 'and 25 have'."""
    if "." in token or value > 1e6:
        return None
    before = _ANAPHOR_BEFORE_RE.search(text, max(0, start - 30), start)
    after = _ANAPHOR_AFTER_RE.match(text, pos)
    preceding = text[max(0, start - 5) : start].lower()
    between = before or after or preceding.endswith(("from ", " to "))
    if not between:
        return None
    fig = Figure(
        text=text[start:pos], start=start, end=pos, kind="count", value=value,
        normalized=value, unit="items",
    )  # fmt: skip
    if before:
        fig.change = before.group(1)
        fig.direction = (
            "decrease"
            if re.search(r"decrease|drop|decline|down|fell", before.group(1), re.I)
            else "increase"
        )
    elif after and after.group(1):
        fig.change = after.group().strip()
        fig.direction = "increase" if after.group(1) == "more" else "decrease"
    return _Raw(fig, anaphor=True)


def _read_word(text: str, n: Number) -> _Raw | _Bare | None:
    s, e = n.start, n.end
    if text[e : e + 1] == "-" or _NAME_BEFORE_RE.search(text, max(0, s - 12), s):
        return None
    if n.token[0].isupper() and text[max(0, s - 4) : s].rstrip()[-1:] not in ("", ".", '"', "“"):
        return None  # "Top Ten", "Five Star": capitalised mid-sentence is a name
    if n.value < 2 and n.scale is None:
        return None  # "one" is mostly a pronoun or an article: "that one costs", "one of"
    raw = _after_number(text, s, e, n.token, n.value, None, n.scale, n.mult)
    if isinstance(raw, _Bare):
        return raw
    if raw is None or raw.anaphor or (raw.fig.kind == "money" and raw.fig.currency is None):
        return None
    return raw


def _read_zh(text: str, n: Number) -> _Raw | _Bare | None:
    if n.value < 2 and n.scale is None and text[n.end : n.end + 1] != "成":
        return None  # 一 is mostly "a": 一家企业, 一个项目; 一亿元 and 一成 are figures
    raw = _after_number(text, n.start, n.end, n.token, n.value, None, n.scale, n.mult, n.inside)
    if isinstance(raw, _Bare):
        return raw
    if raw is None or raw.anaphor or (raw.fig.kind == "money" and raw.fig.currency is None):
        return None
    return raw


def _read_rank(text: str, m: re.Match[str]) -> _Raw | None:
    group = "ranked" if m.group("ranked") else m.lastgroup or 0
    surface, start, end = m.group(group), m.start(group), m.end(group)
    digits = re.search(r"\d+", surface)
    if digits:
        value: float | None = float(digits.group())
    else:
        zh = re.search(r"第([一二三四五六七八九十]+)", surface)
        value = zh_numeral(zh.group(1)) if zh else EN_ORDINALS.get(surface.lower())
    if not value:
        return None
    return _Raw(
        Figure(
            text=surface,
            start=start,
            end=end,
            kind="rank",
            value=value,
            normalized=value,
            unit="rank",
        )  # fmt: skip
    )


def _resolve(text: str, raws: list[_Raw], doc: ArticleText, masks: Masks) -> list[Figure]:
    """Read each figure's clause; give anaphoric counts their noun or drop them; give the
    numbers of a list the unit they share."""
    figures: list[Figure] = []
    names = context.names_in_running_text(text)
    published = _year_month(doc.published_at)
    clause_at = _ClauseFinder(text, doc, masks)
    trail = _PeriodTrail(text, masks)
    for raw in raws:
        fig = raw.fig
        clause = clause_at(fig.start)
        if raw.anaphor:
            noun = _antecedent(text, figures, clause, fig)
            if noun is None:
                continue
            fig.counted = noun
        for bare in raw.listed:
            shared = _share_unit(text, bare, fig)
            _read_context(text, shared, clause_at(bare.start), names, published, figures)
            trail.fill(shared, clause_at(bare.start), published)
            figures.append(shared)
        _read_context(text, fig, clause, names, published, figures)
        trail.fill(fig, clause, published)
        figures.append(fig)
    return figures


class _PeriodTrail:
    """The last period written before a clause in the same paragraph (line), for figures whose
    own sentence names none: "1~3季度，全市…增长3.1%。其中，…增长5.1%" gives both 1~3季度.
    Text is scanned once, forward, as figures come in text order."""

    def __init__(self, text: str, masks: Masks) -> None:
        self.text, self.masks = text, masks
        self.lines = [m.start() for m in re.finditer("\n", text)]
        self.scanned = 0
        self.last: tuple[int, str] | None = None  # (its line, surface)

    def fill(self, fig: Figure, clause: context.Clause, published: tuple[int, int] | None) -> None:
        if clause.start > self.scanned:
            found = context.periods(self.text, self.scanned, clause.start, self.masks)
            if found:
                self.last = (bisect_right(self.lines, found[-1][0]), found[-1][2])
            self.scanned = clause.start
        if (
            fig.period
            or self.last is None
            or self.last[0] != bisect_right(self.lines, clause.start)
        ):
            return
        fig.period = self.last[1]
        fig.year = context.period_year(self.last[1], published)[0]
        fig.year_source = "paragraph" if fig.year is not None else None


class _ClauseFinder:
    """The clause holding an offset, for offsets asked in text order; the current one is kept."""

    def __init__(self, text: str, doc: ArticleText, masks: Masks) -> None:
        self.text, self.sents, self.masks = text, doc.sentences, masks
        self.pieces: list[tuple[int, int]] = []
        self.sent: tuple[int, int] | None = None
        self.current: context.Clause | None = None

    def __call__(self, pos: int) -> context.Clause:
        sent = self.sents.at(pos)
        if sent != self.sent:
            self.sent, self.pieces = sent, context.clauses(self.text, *sent)
        i = max(0, bisect_right(self.pieces, (pos, len(self.text) + 1)) - 1)
        start, end = self.pieces[i]
        if self.current is None or self.current.start != start:
            self.current = context.Clause(self.text, start, end, self.masks)
        return self.current


def _year_month(published_at: str | None) -> tuple[int, int] | None:
    m = re.match(r"(\d{4})-(\d{2})", published_at or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return int(m.group(1)), int(m.group(2))


def _share_unit(text: str, bare: _Bare, head: Figure) -> Figure:
    """ "6.9" in "收窄6.9和1.4个百分点" with the unit (and scale) of the number that ends the list."""
    ratio = (head.normalized or 0.0) / head.value if head.value else 1.0
    return replace(
        head, text=text[bare.start : bare.end], start=bare.start, end=bare.end, value=bare.value,
        normalized=_round(bare.value * ratio), qualifier=None, bound=None, change=None,
        direction=None,
    )  # fmt: skip


def _antecedent(
    text: str, figures: list[Figure], clause: context.Clause, fig: Figure
) -> str | None:
    for prev in reversed(figures):
        if prev.start < clause.start:
            break
        if prev.kind == "count" and prev.counted:
            return prev.counted.split()[-1]
    nm = _NUMBER_OF_RE.search(text, clause.start, fig.start)
    return nm.group(1) if nm else None


def _read_context(
    text: str,
    fig: Figure,
    clause: context.Clause,
    names: frozenset[str],
    published: tuple[int, int] | None,
    previous: list[Figure],
) -> None:
    fig.sentence = text[clause.start : clause.end]
    fig.sentence_start = clause.start
    window = text[max(clause.start, fig.start - 60) : fig.start]
    q = context.qualifier_before(window)
    if q:
        window = window[: q[2]]
        if fig.qualifier is None:
            fig.qualifier, fig.bound = q[0], q[1]
    qa = context.qualifier_after(text, fig.end)
    if qa:
        fig.qualifier = f"{fig.qualifier} … {qa[0]}" if fig.qualifier else qa[0]
        fig.bound = qa[1]
    if fig.change is None and fig.kind != "rank":
        ch = context.change_before(window) or context.change_after(text, fig.end)
        if ch:
            fig.change, fig.direction = ch
    if fig.value < 0 and fig.direction == "increase":
        fig.direction = "decrease"  # 增长-3.2%: a negative growth
    fig.period = clause.period(fig.start, fig.end)
    if fig.period:
        fig.year, fig.year_source = context.period_year(fig.period, published)
    fig.metric = (context.count_metric(fig.counted) if fig.kind == "count" else None) or (
        clause.metric(fig.start, fig.end, fig.kind)
    )
    if fig.metric is None and fig.change and fig.kind in ("percent", "percentage_points"):
        prev = previous[-1] if previous else None
        if prev is not None and prev.sentence_start == clause.start and prev.metric:
            fig.metric = prev.metric  # "reached 123.6 billion yuan, up 63.2 percent"
    fig.subject = context.subject(text, clause.start, fig.start, names)
    if fig.normalized_unit is None:
        fig.normalized_unit = fig.currency if fig.kind == "money" else BASE_UNITS.get(fig.kind)


def _imply_currency(figures: list[Figure]) -> list[Figure]:
    """'4 trillion' in a text about '4 trillion yuan' is yuan; with no currency around, drop it."""
    first = next((f.currency for f in figures if f.kind == "money" and f.currency), None)
    last = first
    kept: list[Figure] = []
    for fig in figures:
        if fig.kind == "money" and fig.currency is None:
            if last is None:
                continue
            fig.currency = fig.unit = fig.normalized_unit = last
            fig.currency_implied = True
        elif fig.kind == "money":
            last = fig.currency
        kept.append(fig)
    return kept


_CONVERSION_RE = re.compile(
    r"[ \u00a0]*(?:[(（][ \u00a0]*|,?[ \u00a0]*(?:or|equivalent to|约合|折合|合)[ \u00a0]*)"
    r"(?:about|around|roughly|approximately|approx\.|some|nearly|over|约|约合|折合|合)?[ \u00a0]*\Z",
    re.IGNORECASE,
)


def _link_conversions(text: str, figures: list[Figure]) -> None:
    """'30 billion yuan ($4.65 billion)': the second is the first in another currency."""
    for i in range(1, len(figures)):
        a, b = figures[i - 1], figures[i]
        if a.kind != "money" or b.kind != "money" or a.currency == b.currency:
            continue
        if b.currency is None or a.currency is None:
            continue
        if b.start - a.end < 30 and _CONVERSION_RE.match(text[a.end : b.start]):
            b.equivalent_of = a.key
            if b.bound is None:
                b.bound = a.bound
            if b.metric is None:
                b.metric = a.metric


_LIST_GAP_RE = re.compile(r"[ \u00a0]*[,，、和与及]?[ \u00a0]*(?:(?:and|or)[ \u00a0]+)?")


def _carry_change(text: str, figures: list[Figure]) -> None:
    """'grew by 19.6%, 23.1% and 20.7%': the change word before a list covers the whole list."""
    for prev, fig in zip(figures, figures[1:], strict=False):
        if fig.change is not None or prev.change is None or prev.kind != fig.kind:
            continue
        if fig.start - prev.end <= 8 and _LIST_GAP_RE.fullmatch(text, prev.end, fig.start):
            fig.change, fig.direction = prev.change, prev.direction


_RESTATEMENT_CANDIDATES = 8  # earlier statements of one value compared with a new figure


def _mark_restatements(figures: list[Figure]) -> None:
    """'4 trillion' after '4 trillion yuan': a figure repeating an earlier one of the article
    (same kind, unit and value, nothing saying it is about another thing or year) restates it."""
    firsts: dict[tuple[str, str | None, float], list[int]] = {}
    for i, fig in enumerate(figures):
        if fig.kind == "rank" or fig.normalized is None or fig.equivalent_of is not None:
            continue
        key = (fig.kind, _unit_key(fig), round(fig.normalized, 6))
        earlier = firsts.setdefault(key, [])
        first = next(
            (j for j in earlier[:_RESTATEMENT_CANDIDATES] if _same_thing(figures[j], fig)), None
        )
        if first is None:
            earlier.append(i)
        else:
            fig.restates = figures[first].key


def _unit_key(fig: Figure) -> str | None:
    if fig.kind == "money":
        return fig.currency
    if fig.kind == "count":
        return fig.counted.split()[-1].lower() if fig.counted else None
    return fig.normalized_unit


def _same_thing(first: Figure, later: Figure) -> bool:
    if later.year is not None and later.year != first.year:
        return False
    if first.metric and later.metric and first.metric != later.metric:
        return False
    if first.kind in ("percent", "percentage_points"):  # common values: the metric must say so
        return (
            bool(first.metric)
            and first.metric == later.metric
            and (first.direction == later.direction)
        )
    return True
