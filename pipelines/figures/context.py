"""What the words around a figure say about it: bound, change, period, metric, subject.

Each reader looks at a short window of the figure's own sentence; all are pure and never raise.
"""

from __future__ import annotations

import re

from .lexicon import (
    EN_CHANGE_DOWN,
    EN_CHANGE_UP,
    METRICS,
    QUALIFIERS_AFTER,
    QUALIFIERS_BEFORE,
    ZH_CHANGE_DOWN,
    ZH_CHANGE_UP,
    alternation,
)
from .text import MONTH_RE, Masks

_QUAL_BEFORE_RE = re.compile(
    rf"((?<![A-Za-z])(?:{alternation(w for w in QUALIFIERS_BEFORE if w.isascii())})"
    rf"|{alternation(w for w in QUALIFIERS_BEFORE if not w.isascii())})[ \u00a0]*\Z",
    re.IGNORECASE,
)
_QUAL_AFTER_RE = re.compile(rf"[ \u00a0]*({alternation(QUALIFIERS_AFTER)})(?![A-Za-z])")

_EN_CHANGE_BEFORE_RE = re.compile(
    r"(?<![A-Za-z])((?:an? )?(?:year[- ]on[- ]year )?"
    rf"({alternation(EN_CHANGE_UP + EN_CHANGE_DOWN)})"
    r"(?: (?:by|of))?(?: (?:year[- ]on[- ]year|yoy))?),?[ \u00a0]*\Z",
    re.IGNORECASE,
)
_EN_CHANGE_AFTER_RE = re.compile(
    r"[ \u00a0]+(?:year[- ]on[- ]year[ \u00a0]+)?"
    r"(increase|growth|rise|jump|decline|drop|decrease|higher|lower|more|less|fewer)\b",
    re.IGNORECASE,
)
_ZH_CHANGE_BEFORE_RE = re.compile(
    r"((?:同比|环比|比上年同期|比去年同期|比上年|比去年|较上年|较去年同期|较去年)?(?:分别)?"
    rf"({alternation(ZH_CHANGE_UP + ZH_CHANGE_DOWN)})(?:了|为|达)?)[ \u00a0]*\Z"
)
_PHRASAL_UP_RE = re.compile(
    r"\b(?:mak(?:e|es|ing)|made|t(?:ake|akes|aking|ook)|set(?:s|ting)?|end(?:s|ed|ing)?|add(?:s|ed|ing)?"
    r"|sum(?:s|med)?|pick(?:s|ed)?|sign(?:s|ed)?|step(?:s|ped)?|buil[dt]s?|open(?:s|ed)?) \Z",
    re.IGNORECASE,
)
_DOWN = frozenset(w.lower() for w in EN_CHANGE_DOWN + ZH_CHANGE_DOWN) | {"decline", "drop"}

_EN_PERIOD = (
    r"(?:(?:[Ii]n|[Dd]uring|[Ff]rom|[Ff]or|[Bb]y|[Aa]s of|[Ss]ince|[Tt]hrough|[Oo]ver|of|"
    r"(?:[Aa]t|[Bb]y) the end of)[ \u00a0]+)?(?:the[ \u00a0]+)?"
    r"(?:(?:first|second|third|fourth|last|1st|2nd|3rd|4th)[ \u00a0]+"
    r"(?:half|quarter|three quarters|two quarters|(?:two|three|four|five|six|seven|eight|nine|"
    r"ten|eleven) months)[ \u00a0]+of[ \u00a0]+(?:(?:19|20)\d{2}|this year|last year)"
    r"|Q[1-4][ \u00a0]+(?:19|20)\d{2}"
    rf"|{MONTH_RE.pattern}[ \u00a0]*(?:-|–|to|through)[ \u00a0]*{MONTH_RE.pattern}"
    r"(?:[ \u00a0]+(?:of[ \u00a0]+)?(?:19|20)\d{2})?"
    r"|\d{1,2}(?:st|nd|rd|th)[ \u00a0]+Five-Year[ \u00a0]+Plan(?:[ \u00a0]+period)?"
    r"(?:[ \u00a0]*\((?:19|20)\d{2}[ \u00a0]*[-–][ \u00a0]*(?:19|20)\d{2}\))?"
    r"|(?:19|20)\d{2}(?:[ \u00a0]*[-–][ \u00a0]*(?:19|20)\d{2})?(?!\d|,\d)"
    r"|(?:last|this|next|the previous|the past) year)"
)
_ZH_PART = (
    r"(?:上半年|下半年|全年|前三季度|前[一二三四1-4]季度|第?[一二三四1-4]季度"
    r"|\d{1,2}[-—~至到]\d{1,2}月份?|\d{1,2}月份?)"
)
_ZH_PERIOD = (
    rf"(?:(?:19|20)\d{{2}}年|今年|去年|上年|明年)(?:{_ZH_PART})?|{_ZH_PART}"
    r"|“?十[一二三四五六]五”?(?:期间|时期)"
)
PERIOD_RE = re.compile(rf"(?<![A-Za-z\d])(?:{_ZH_PERIOD}|{_EN_PERIOD})")
_YEAR_RE = re.compile(r"(?:19|20)\d{2}")
_BARE_YEAR_RE = re.compile(
    r"(?:the[ \u00a0]+)?(?:19|20)\d{2}(?:[ \u00a0]*[-–][ \u00a0]*(?:19|20)\d{2})?"
)
_RELATIVE_RE = re.compile(
    r"(?:(?:[Ff]rom|[Oo]ver|[Ss]ince|[Tt]hrough)[ \u00a0]+)?(?:the )?(?:last|this|next|the previous|the past) year"
)

_METRIC_LABELS: dict[str, str] = {}
for _label, _words in METRICS.items():
    for _w in _words:
        _METRIC_LABELS.setdefault(_w.lower(), _label)
_METRIC_RE = re.compile(
    rf"(?<![A-Za-z])(?:{alternation(_METRIC_LABELS)})(?![A-Za-z])", re.IGNORECASE
)
_ASIDE_RE = re.compile(
    r",[ \u00a0]*(?:meaning|which|who|including|such as|i\.e\.|that is|namely)\b[^,;]*,"
)

_SUBJECT_STOP = frozenset(
    (
        "a", "an", "the", "in", "on", "at", "of", "for", "to", "by", "with", "from", "during",
        "after", "before", "since", "as", "and", "but", "or", "so", "meanwhile", "however",
        "moreover", "besides", "also", "according", "among", "last", "this", "that", "these", "those",
        "it", "its", "their", "his", "her", "our", "we", "they", "he", "she", "photo", "statistics",
        "there", "here", "now", "currently", "total", "all", "some", "more", "over", "nearly",
        "about", "around", "almost", "only", "up", "under"
    )
)  # fmt: skip
_ZH_SUBJECT_RE = re.compile(
    r"[\u4e00-\u9fff]{2,8}?(?<![全本该各我此两])"
    r"(?:省|市|区|县|镇|街道|园区|开发区|高新区|新区|集团|公司|银行|委员会)(?![场民值长委])"
)
_TOKEN_RE = re.compile(r"[^\s,;:()\"“”]+")
_OPENER_RE = re.compile(
    r"[ \u00a0]*(?:In|During|On|At|By|Since|For|From|After|Before|According to|Meanwhile|"
    r"In addition|Besides|Moreover|However|Also|Currently|At present|Last year|This year)\b"
    r"[^,\n]{0,80},[ \u00a0]*"
)
_MID_CAPS_RE = re.compile(r"[a-z,] ([A-Z][^\s,;:()\"“”.'’]*)")
_AUXILIARIES = frozenset(
    (
        "will", "has", "have", "had", "is", "was", "are", "were", "plans", "aims", "expects", "would",
        "can"
    )
)  # fmt: skip
_CONNECTORS = frozenset({"of", "and", "&", "for", "de"})


def qualifier_before(window: str) -> tuple[str, str, int] | None:
    """("more than", ">", where it starts) when the window ends with a qualifier."""
    m = _QUAL_BEFORE_RE.search(window, max(0, len(window) - 20))
    if not m:
        return None
    word = m.group(1)
    return word, QUALIFIERS_BEFORE.get(word, QUALIFIERS_BEFORE.get(word.lower(), "~")), m.start()


def qualifier_after(text: str, pos: int) -> tuple[str, str, int] | None:
    """("or more", ">=", end) when a qualifier follows the figure at `pos`."""
    m = _QUAL_AFTER_RE.match(text, pos)
    if not m:
        return None
    return m.group(1), QUALIFIERS_AFTER[m.group(1)], m.end()


def change_before(window: str) -> tuple[str, str] | None:
    """("surging", "increase") when the window ends with a growth or decline phrase."""
    tail = window[-40:]
    for regex in (_EN_CHANGE_BEFORE_RE, _ZH_CHANGE_BEFORE_RE):
        m = regex.search(tail)
        if m and not (m.group(2).lower() == "up" and _PHRASAL_UP_RE.search(tail, 0, m.start(2))):
            return m.group(1), _direction(m.group(2))
    return None


def change_after(text: str, pos: int) -> tuple[str, str] | None:
    """("increase", "increase") for "5.2 percent year-on-year increase"."""
    m = _EN_CHANGE_AFTER_RE.match(text, pos)
    if not m:
        return None
    return m.group(1), _direction(m.group(1))


def _direction(word: str) -> str:
    return "decrease" if word.lower() in _DOWN else "increase"


def periods(text: str, start: int, end: int, masks: Masks) -> list[tuple[int, int, str]]:
    """Period expressions in text[start:end] as (start, end, surface).

    Years inside dates ("Jan. 7, 2022") are datelines, not periods; "last year" without a
    preposition is usually a comparison base ("up 5% from last year"), not the figure's period.
    """
    found = []
    for m in PERIOD_RE.finditer(text, start, end):
        surface = m.group()
        if masks.contains(m.start(), m.end()):
            continue
        if _RELATIVE_RE.fullmatch(surface) or _BARE_YEAR_RE.fullmatch(surface):
            continue  # "the 2020 Report", "from last year": no preposition, no period
        found.append((m.start(), m.end(), surface))
    return found


def nearest_period(
    found: list[tuple[int, int, str]], start: int, end: int, text: str, sent: tuple[int, int]
) -> tuple[str, int | None] | None:
    """The period right after the figure ("37 in 2020"), else the closest before, else after.

    Periods inside an aside (", which was set up in 2019,") belong to the aside.
    """
    own = _aside_of(text, sent, start)
    found = [p for p in found if _aside_of(text, sent, p[0]) == own]
    before = [p for p in found if p[1] <= start]
    after = [p for p in found if p[0] >= end]
    if after and after[0][0] - end <= 4:
        pick: tuple[int, int, str] | None = after[0]
    else:
        pick = before[-1] if before else (after[0] if after else None)
    if pick is None:
        return None
    year = _YEAR_RE.search(pick[2])
    return pick[2], int(year.group()) if year else None


def _aside_of(text: str, sent: tuple[int, int], pos: int) -> tuple[int, int] | None:
    for m in _ASIDE_RE.finditer(text, sent[0], sent[1]):
        if m.start() <= pos < m.end():
            return m.span()
    return None


def metric(text: str, sent: tuple[int, int], start: int, end: int, kind: str) -> str | None:
    """The metric label nearest the figure in its sentence, ignoring asides about other figures."""
    s0, s1 = sent
    asides = [(m.start(), m.end()) for m in _ASIDE_RE.finditer(text, s0, s1)]
    own = next(((a, b) for a, b in asides if a <= start < b), None)
    best: tuple[float, str] | None = None
    for m in _METRIC_RE.finditer(text, s0, s1):
        if m.start() < end and m.end() > start:
            continue
        aside = next(((a, b) for a, b in asides if a <= m.start() < b), None)
        if aside != own:
            continue
        label = _METRIC_LABELS[m.group().lower()]
        if label == "area" and kind != "area":
            continue
        dist = start - m.end() if m.end() <= start else (m.start() - end) * 1.5
        if best is None or dist < best[0]:
            best = (dist, label)
    return best[1] if best else None


def names_in_running_text(text: str) -> frozenset[str]:
    """Capitalised words that also occur mid-sentence: names, not sentence-initial nouns."""
    return frozenset(m.group(1) for m in _MID_CAPS_RE.finditer(text))


def subject(text: str, sent_start: int, start: int, names: frozenset[str]) -> str | None:
    """The sentence's grammatical subject when it is a name: "Suzhou will invest ...".

    An opening adverbial ("In 2020, ...", "During the plan period, ...") is skipped; a single
    capitalised word counts as a name only if the text also capitalises it mid-sentence.
    """
    prefix = text[sent_start:start]
    zh = _ZH_SUBJECT_RE.search(prefix[:16])
    if zh:
        return zh.group()
    opener = _OPENER_RE.match(prefix)
    if opener:
        prefix = prefix[opener.end() :]
    run: list[str] = []
    for i, m in enumerate(_TOKEN_RE.finditer(prefix)):
        tok = m.group().strip(".'’")
        if i == 0 and tok.lower() == "the":
            continue
        if tok[:1].isupper() and not any(c.isdigit() for c in tok) and not MONTH_RE.fullmatch(tok):
            if run or tok.lower() not in _SUBJECT_STOP:
                run.append(tok)
                continue
        elif run and tok.lower() in _CONNECTORS:
            run.append(tok)
            continue
        break
    while run and run[-1].lower() in _CONNECTORS:
        run.pop()
    if len(run) == 1 and run[0] not in names:
        rest = prefix[prefix.find(run[0]) + len(run[0]) :].split(None, 1)
        if not rest or rest[0].lower() not in _AUXILIARIES:
            return None  # "Companies in ..." is a common noun at the start, not a name
    return " ".join(run) or None
