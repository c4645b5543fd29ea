"""Find the figures in a text: numbers with what makes them a figure (currency, unit, noun).

One pass over number tokens (digits, English number words, Chinese numerals, ordinals). For
each token, small anchored regexes read what sits right before it (currency, name) and right
after it (scale, currency, unit, counted noun); a second pass reads the sentence for bound,
change, period, metric and subject, and links conversions. Every regex is anchored at a known
position or is a literal alternation, so a text is processed in linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.items import Figure
from crawler.sentences import SentenceIndex
from crawler.text import ArticleText

from . import context
from .lexicon import (
    BASE_UNITS,
    CURRENCY_PREFIXES,
    CURRENCY_SUFFIXES,
    EN_NUMBER_WORDS,
    EN_ORDINALS,
    EN_SCALE_LETTERS,
    EN_SCALES,
    EN_TIME_WORDS,
    QUALIFIERS_INSIDE,
    UNITS,
    ZH_CLASSIFIERS,
    ZH_DIGITS,
    ZH_NON_FIGURE_SUFFIXES,
    ZH_SCALES,
    ZH_SMALL_UNITS,
    alternation,
)
from .text import Masks

_SP = r"[ \u00a0]"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_ONES = "one|two|three|four|five|six|seven|eight|nine"
_TOKEN_RE = re.compile(
    rf"(?P<rank>\b(?:{alternation(EN_ORDINALS)}|\d{{1,3}}(?:st|nd|rd|th))"
    r"(?=[ \u00a0-](?:highest|largest|biggest|lowest|fastest|strongest|richest|most|place|position"
    r"|among|in (?:China|the country|the nation|the world|the province))\b))"
    rf"|\b(?:rank(?:s|ed|ing)?|placed|placing|came|comes)[ \u00a0](?P<ranked>{alternation(EN_ORDINALS)}"
    r"|\d{1,3}(?:st|nd|rd|th))\b"
    r"|(?P<digits>\d+(?:,\d{3})*(?:\.\d+)?)"
    rf"|(?P<word>\b(?:(?:{_TENS})(?:-(?:{_ONES}))?|{_ONES}|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|dozen)\b)"
    r"|(?P<zh>(?<!第)[零〇一二两三四五六七八九十百千]+)"
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
_LEVEL_RE = re.compile(r"-((?:hundred-)?(?:thousand|million|billion|trillion))(?:-yuan)?-level")
_ADJ_MONEY_RE = re.compile(r"-(thousand|million|billion|trillion)-(yuan|dollar|euro)(?![A-Za-z])")
_TIME_RE = re.compile(rf"{_SP}?(?:{alternation(EN_TIME_WORDS)})(?![A-Za-z])", re.IGNORECASE)
_WORD_RE = re.compile(r"[ \u00a0]([A-Za-z][A-Za-z'’-]*)")
_ZH_NOUN_RE = re.compile(r"[\u4e00-\u9fff]{1,10}")
_ZH_NOUN_BEFORE_RE = re.compile(r"[\u4e00-\u9fff]{1,4}\Z")
_ZH_VERB_RE = re.compile("集中|签约|开工|落户|投产|建成|完成|实现|总投资|共计|合计|参加|入驻")
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
        "hours", "minutes", "seconds", "decades", "us"
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
class _Span:
    """The part of a match that is the figure ("second" in "ranks second")."""

    text: str
    s: int
    e: int

    def group(self) -> str:
        return self.text

    def start(self) -> int:
        return self.s

    def end(self) -> int:
        return self.e


@dataclass
class _Raw:
    """A figure before its sentence is read; `anaphor` marks counts whose noun comes later."""

    fig: Figure
    anaphor: bool = False


def extract_figures(text: str | ArticleText, lang: str | None = None) -> list[Figure]:
    """Every figure in `text`, in order of appearance; pure and never raises on odd text.

    `text` is a string or an `ArticleText` shared with the other extractors (its folding and
    sentences are then reused). `lang` is accepted as a hint but both grammars always run:
    English pages quote Chinese amounts and Chinese pages write "US$" and "%", so choosing one
    grammar loses figures.
    """
    doc = ArticleText.of(text, lang)
    return _extract(doc) if doc.body else []


def _extract(doc: ArticleText) -> list[Figure]:
    original, text = doc.body, doc.simplified  # same length: offsets hold for both
    masks = Masks(text)
    sents = doc.sentences
    raws: list[_Raw] = []
    last_end = -1
    for m in _TOKEN_RE.finditer(text):
        if m.start() < last_end or masks.covers(m.start(), m.end()):
            continue
        raw = _read_token(text, m)
        if raw is not None:
            raws.append(raw)
            last_end = raw.fig.end
    figures = _imply_currency(_resolve(text, raws, sents, masks))
    _link_conversions(text, figures)
    if text != original:
        for fig in figures:
            fig.text = original[fig.start : fig.end]
            fig.sentence = original[
                fig.sentence_start or 0 : (fig.sentence_start or 0) + len(fig.sentence or "")
            ]
    return figures


def _read_token(text: str, m: re.Match[str]) -> _Raw | None:
    kind = m.lastgroup
    if kind == "digits":
        return _read_digits(text, m)
    if kind == "word":
        return _read_word(text, m)
    if kind == "zh":
        return _read_zh(text, m)
    return _read_rank(text, m)  # rank, ranked, zhrank


def _number(token: str) -> float | None:
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return None


def _read_digits(text: str, m: re.Match[str]) -> _Raw | None:
    s, e = m.span()
    value = _number(m.group())
    if value is None:
        return None
    token = m.group()
    prefix = _PREFIX_RE.search(text, max(0, s - 6), s)
    currency = CURRENCY_PREFIXES[prefix.group(1)] if prefix else None
    start = prefix.start() if prefix else s
    before = text[s - 1] if s else ""
    if currency is None:
        if before and before.isascii() and (before.isalpha() or before in "#/."):
            return None  # "A380", "G20", "#3", "1/3", ".5"
        if before == "-" and s >= 2 and not text[s - 2].isdigit():
            return None  # "COVID-19", "Post-4-Trillion"
        if _NAME_BEFORE_RE.search(text, max(0, s - 12), s):
            return None
    pos = e
    after = text[e : e + 1]
    scale_word: str | None = None
    mult = 1.0
    if currency and after.isalpha() and after.isascii():
        lm = _LETTER_SCALE_RE.match(text, e)
        sm = _EN_SCALE_RE.match(text, e)
        if sm:
            scale_word, mult, pos = sm.group(1), EN_SCALES[sm.group(1).lower()], sm.end()
        elif lm:
            scale_word, mult, pos = lm.group(1), EN_SCALE_LETTERS[lm.group(1).lower()], lm.end()
    elif (
        after.isascii()
        and (after.isalnum() or after == "_")
        and not (_SUFFIX_RE.match(text, e) or _EN_SCALE_RE.match(text, e))
    ):
        return None  # "5G", "3M", "A380" are names; "10kg", "1.2bn" are figures
    if after == "-":
        level = _LEVEL_RE.match(text, e)
        if level:
            return _count_level(text, start, level, value)
        adj = _ADJ_MONEY_RE.match(text, e)
        if not adj:
            return None
        scale_word, mult = adj.group(1), EN_SCALES[adj.group(1)]
        currency = CURRENCY_SUFFIXES[adj.group(2)]
        return _Raw(_money(text, start, adj.end(), value, scale_word, mult, currency))
    if text[e : e + 1] == "," and text[e + 1 : e + 2].isdigit():
        return None  # "1,2345": not a well-formed number
    return _after_number(text, start, pos, token, value, currency, scale_word, mult)


def _after_number(
    text: str,
    start: int,
    pos: int,
    token: str,
    value: float,
    currency: str | None,
    scale_word: str | None,
    mult: float,
) -> _Raw | None:
    """Read scale, inner qualifier and unit/currency after a number ending at `pos`."""
    inside: str | None = None
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
            kind, unit, factor = UNITS[word]
            fig = Figure(
                text=text[start:end], start=start, end=end, kind=kind, value=value,
                scale=scale_word, normalized=_round(value * mult * factor), unit=unit,
                counted=unit if kind == "count" else None,
                normalized_unit=unit if kind == "count" else BASE_UNITS.get(kind),
            )  # fmt: skip
    elif currency:
        fig = _money(text, start, pos, value, scale_word, mult, currency)
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
        return _anaphor(text, start, pos, token, value)
    if fig is None:
        return None
    if inside:
        fig.qualifier, fig.bound = inside, QUALIFIERS_INSIDE[inside]
    return _Raw(fig)


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
        end = pos + 1 + len(noun)
        counted = noun or ("" if text[pos] in "人户" else _zh_noun_before(text, start)) or text[pos]
        return Figure(
            text=text[start:end], start=start, end=end, kind="count", value=value, scale=scale,
            normalized=_round(value * mult), unit="items", counted=counted,
        )  # fmt: skip
    words: list[tuple[str, int]] = []
    cursor = pos
    for _ in range(5):
        wm = _WORD_RE.match(text, cursor)
        word = wm.group(1) if wm else ""
        if not wm or word.lower() in _COUNT_STOP or not word[0].isalpha():
            break
        words.append((wm.group(1), wm.end()))
        cursor = wm.end()
    head = next((i for i, (w, _) in enumerate(words) if _is_plural(w)), None)
    if head is None or not (words[head][0][0].islower() or _ACRONYM_RE.fullmatch(words[head][0])):
        return None  # "5 Star Hotels" is a name; "330 German companies" is a count
    if head is None:
        return None
    end = words[head][1]
    counted = " ".join(w for w, _ in words[: head + 1])
    return Figure(
        text=text[start:end], start=start, end=end, kind="count", value=value, scale=scale,
        normalized=_round(value * mult), unit="items", counted=counted,
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


def _read_word(text: str, m: re.Match[str]) -> _Raw | None:
    s, e = m.span()
    word = m.group().lower()
    if "-" in word:
        tens, ones = word.split("-")
        value = float(EN_NUMBER_WORDS[tens] + EN_NUMBER_WORDS[ones])
    else:
        value = float(EN_NUMBER_WORDS[word])
    if text[e : e + 1] == "-" or _NAME_BEFORE_RE.search(text, max(0, s - 12), s):
        return None
    if m.group()[0].isupper() and text[max(0, s - 4) : s].rstrip()[-1:] not in ("", ".", '"', "“"):
        return None  # "Top Ten", "Five Star": capitalised mid-sentence is a name
    raw = _after_number(text, s, e, m.group(), value, None, None, 1.0)
    if raw is None or raw.anaphor or (raw.fig.kind == "money" and raw.fig.currency is None):
        return None
    return raw


def zh_numeral(token: str) -> float | None:
    """Value of a Chinese numeral below 10,000 ("三", "二十", "一千二百"); None if malformed."""
    total, digit = 0, None
    for ch in token:
        if ch in ZH_DIGITS:
            if digit is not None:
                return None
            digit = ZH_DIGITS[ch]
        elif ch in ZH_SMALL_UNITS:
            total += (1 if digit is None else digit) * ZH_SMALL_UNITS[ch]
            digit = None
        else:
            return None
    return float(total + (digit or 0))


def _read_zh(text: str, m: re.Match[str]) -> _Raw | None:
    value = zh_numeral(m.group())
    if value is None or value < 2:
        return None
    s, e = m.span()
    raw = _after_number(text, s, e, m.group(), value, None, None, 1.0)
    if raw is None or raw.anaphor or (raw.fig.kind == "money" and raw.fig.currency is None):
        return None
    return raw


def _read_rank(text: str, m: re.Match[str]) -> _Raw | None:
    if m.lastgroup == "ranked" or m.group("ranked"):
        m = _Span(m.group("ranked"), m.start("ranked"), m.end("ranked"))  # type: ignore[assignment]
    digits = re.search(r"\d+", m.group())
    if digits:
        value = float(digits.group())
    else:
        zh = re.search(r"第([一二三四五六七八九十]+)", m.group())
        value = zh_numeral(zh.group(1)) if zh else EN_ORDINALS.get(m.group().lower())
    if not value:
        return None
    return _Raw(
        Figure(
            text=m.group(),
            start=m.start(),
            end=m.end(),
            kind="rank",
            value=value,
            normalized=value,
            unit="rank",
        )  # fmt: skip
    )


def _resolve(text: str, raws: list[_Raw], sents: SentenceIndex, masks: Masks) -> list[Figure]:
    """Read each figure's sentence; give anaphoric counts their noun or drop them."""
    figures: list[Figure] = []
    period_cache: dict[tuple[int, int], list[tuple[int, int, str]]] = {}
    names = context.names_in_running_text(text)
    for raw in raws:
        fig = raw.fig
        sent = sents.at(fig.start)
        if raw.anaphor:
            noun = _antecedent(text, figures, sent, fig)
            if noun is None:
                continue
            fig.counted = noun
        _read_context(text, fig, sent, period_cache, masks, names)
        figures.append(fig)
    return figures


def _antecedent(text: str, figures: list[Figure], sent: tuple[int, int], fig: Figure) -> str | None:
    for prev in reversed(figures):
        if prev.start < sent[0]:
            break
        if prev.kind == "count" and prev.counted:
            return prev.counted.split()[-1]
    nm = _NUMBER_OF_RE.search(text, sent[0], fig.start)
    return nm.group(1) if nm else None


def _read_context(
    text: str,
    fig: Figure,
    sent: tuple[int, int],
    cache: dict[tuple[int, int], list[tuple[int, int, str]]],
    masks: Masks,
    names: frozenset[str],
) -> None:
    fig.sentence = text[sent[0] : sent[1]]
    fig.sentence_start = sent[0]
    window = text[max(sent[0], fig.start - 60) : fig.start]
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
    if sent not in cache:
        cache[sent] = context.periods(text, sent[0], sent[1], masks)
    per = context.nearest_period(cache[sent], fig.start, fig.end, text, sent)
    if per:
        fig.period, fig.year = per
    fig.metric = context.metric(text, sent, fig.start, fig.end, fig.kind)
    fig.subject = context.subject(text, sent[0], fig.start, names)
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
        if _CONVERSION_RE.match(text[a.end : b.start]) and b.start - a.end < 30:
            b.equivalent_of = a.key
            if b.bound is None:
                b.bound = a.bound
