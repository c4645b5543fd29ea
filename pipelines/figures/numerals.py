"""Numbers as news writes them: digits, English number words, Chinese numerals and mixed forms.

`numbers(text)` finds every number in one left-to-right pass and gives its value, split into the
number as written and the scale after it ("3.48万亿" = 3.48 × 万亿, "two hundred million" = 200 ×
million), because a figure keeps both. Chinese numerals are read in full (两百, 三千万, 一点五亿,
四亿五千六百四十二万零一十五, 一万三 = 13,000), mixed with digits (3万4000, 1.5亿), in financial
capitals (壹佰伍拾) and in full-width digits (１２３, folded one for one by `fold_width`).

Every pattern is a bounded structure or a run of single characters, so a scan is linear in the
text length whatever the text; a run is parsed by one loop over its characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .lexicon import EN_NUMBER_WORDS, EN_SCALES, ZH_SCALES, alternation

# Full-width digits and number punctuation, one character for one so offsets hold.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％＋－＄", "0123456789.%+-$")
_FULL_WIDTH_COMMA_RE = re.compile(r"(?<=[0-9０-９])，(?=[0-9０-９]{3}(?![0-9０-９]))")


def fold_width(text: str) -> str:
    """Full-width digits, point, percent and signs as ASCII; a full-width comma only between
    digit groups ("４，５６５"), since elsewhere it is the Chinese comma."""
    return _FULL_WIDTH_COMMA_RE.sub(",", text).translate(_FULL_WIDTH)


ZH_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "参": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7,
    "捌": 8, "玖": 9,
}  # fmt: skip
ZH_SMALL_UNITS: dict[str, int] = {"十": 10, "百": 100, "千": 1000, "拾": 10, "佰": 100, "仟": 1000}
ZH_BIG_UNITS: dict[str, float] = {"万": 1e4, "亿": 1e8}
# Financial capitals that are also everyday characters (陆续, 陆家嘴, 队伍, 拾取, 肆意): a run
# made of one of them alone is a word, not a number.
_AMBIGUOUS_CAPITALS = frozenset("陆伍拾肆参")
# A run never ends in 十/百/千 that begins a unit: 千瓦, 千克, 千米, 百分点, 百分之.
_UNIT_AFTER_SMALL = frozenset("瓦克米分帕伏焦卡")

_LONGEST_NUMBER = 48  # characters; a longer run of digits is a code or noise, not a figure
_ZH_START = "零〇一二两三四五六七八九十百千壹贰叁参肆伍陆柒捌玖拾佰仟"
_ZH_CHARS = _ZH_START + "万亿"
_ZH_DECIMAL_DIGITS = "零〇一二三四五六七八九"
_DIGITS = r"\d+(?:,\d{3})*(?:\.\d+)?"
_EN_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_EN_ONES = "one|two|three|four|five|six|seven|eight|nine"
_EN_TEENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_T = rf"(?:(?:{_EN_TENS})(?:-(?:{_EN_ONES}))?|{_EN_ONES}|{_EN_TEENS})"  # 1..99
_H = rf"(?:{_T}[ \u00a0]hundred(?:[ \u00a0](?:and[ \u00a0])?{_T})?|{_T})"  # 1..999
_EN_WORDS = (
    rf"\b(?:{_H}(?:[ \u00a0]thousand(?:,?[ \u00a0](?:and[ \u00a0])?{_H})?)?|(?:a[ \u00a0])?dozen"
    r"|an?(?=[ \u00a0](?:hundred|thousand|million|billion|trillion)\b))\b"
)  # "a million people" is one million

NUMBER_RE = re.compile(
    rf"(?=[-−负\d{_ZH_START}otfsendaOTFSENDA])"  # what a number can start with: a cheap first test
    rf"(?P<sign>(?<![A-Za-z0-9_.,)\]-])[-−](?=\d)|负(?=[\d{_ZH_START}]))?"
    rf"(?:(?P<run>(?<![第\d{_ZH_CHARS}])(?:{_DIGITS}|[{_ZH_START}])[{_ZH_CHARS}\d]*"
    rf"(?:点[{_ZH_DECIMAL_DIGITS}]+[万亿]*)?)(?:(?P<inside>[余多几])(?P<outer>[万亿]+))?"
    rf"|(?P<word>{_EN_WORDS}))",
    re.IGNORECASE,
)
_EN_SCALE_AFTER_RE = re.compile(rf"[ \u00a0]?({alternation(EN_SCALES)})(?![A-Za-z])", re.IGNORECASE)
_PLAIN_DIGITS_RE = re.compile(_DIGITS)


@dataclass(frozen=True)
class Number:
    """A number in a text: `value` × `mult` is what it is worth; `scale` is the scale as written."""

    start: int  # with the sign
    end: int  # after the scale when one was read
    value: float  # as written, without the scale: 3.48 for "3.48万亿"
    token: str  # the number as written, without sign and scale: "3.48", "三千", "Forty-eight"
    kind: str  # "digits" (Arabic, maybe grouped), "zh" (Chinese or mixed), "word" (English)
    scale: str | None = None  # "万亿", "亿", "million", "bn"
    mult: float = 1.0
    inside: str | None = None  # a qualifier inside the number: 余 in "30余亿"

    @property
    def total(self) -> float:
        return self.value * self.mult


def numbers(text: str) -> Iterator[Number]:
    """Every number in `text` (already folded by `fold_width`), in order, never overlapping.

    English scale words after a number are part of it ("2 million"); Chinese scale characters
    are part of the run ("1.5亿"). A malformed run ("三三", "两两") is no number.
    """
    for m in NUMBER_RE.finditer(text):
        number = _read(text, m)
        if number is not None:
            yield number


def _read(text: str, m: re.Match[str]) -> Number | None:
    sign = -1.0 if m.group("sign") else 1.0
    start = m.start()
    if m.group("word") is not None:
        token = m.group("word")
        value = en_words_value(token)
        if value is None:
            return None
        return _with_en_scale(text, Number(start, m.end(), sign * value, token, "word"))
    run, end = m.group("run"), m.end()
    if run in _AMBIGUOUS_CAPITALS or len(run) > _LONGEST_NUMBER:
        return None
    if m.group("inside"):  # "30余亿", "十多万", "1万多亿": a qualifier between number and scale
        value, outer = zh_numeral(run), m.group("outer")
        if value is None:
            return None
        mult = 1.0
        for ch in outer:
            mult *= ZH_BIG_UNITS[ch]
        kind = "digits" if _PLAIN_DIGITS_RE.fullmatch(run) else "zh"
        return Number(start, end, sign * value, run, kind, outer, mult, m.group("inside"))
    while run and run[-1] in ZH_SMALL_UNITS and text[end : end + 1] in _UNIT_AFTER_SMALL:
        run, end = run[:-1], end - 1
    if not run:
        return None  # the 百 of 百分点, the 千 of 千瓦
    if _PLAIN_DIGITS_RE.fullmatch(run):
        value = float(run.replace(",", ""))
        return _with_en_scale(text, Number(start, end, sign * value, run, "digits"))
    token, scale, mult = _split_scale(run)
    value = zh_numeral(token)
    if value is None:
        return None
    kind = "digits" if _PLAIN_DIGITS_RE.fullmatch(token) else "zh"
    return Number(start, end, sign * value, token, kind, scale, mult)


def _with_en_scale(text: str, number: Number) -> Number:
    sm = _EN_SCALE_AFTER_RE.match(text, number.end)
    if not sm:
        return number
    word = sm.group(1)
    return Number(
        number.start, sm.end(), number.value, number.token, number.kind, word,
        EN_SCALES[word.lower()],
    )  # fmt: skip


def _split_scale(run: str) -> tuple[str, str | None, float]:
    """ "1.5亿" -> ("1.5", "亿", 1e8); "3千万" -> ("3", "千万", 1e7); "四亿五千万" stays whole.

    The scale is the trailing 万/亿 characters (or 千万, 百亿 ... after digits) when what comes
    before them holds no 万 or 亿 itself; otherwise the whole run is one number.
    """
    if "点" in run:
        head, frac = run.split("点", 1)
        digits = frac.rstrip("万亿")
        tail = frac[len(digits) :]
        if tail and not any(ch in ZH_BIG_UNITS for ch in head) and tail in ZH_SCALES:
            return f"{head}点{digits}", tail, ZH_SCALES[tail]
        return run, None, 1.0
    body = run.rstrip("万亿")
    tail = run[len(body) :]
    if not tail or not body or any(ch in ZH_BIG_UNITS for ch in body):
        return run, None, 1.0
    if body[-1] in "十百千" and body[:-1] and _PLAIN_DIGITS_RE.fullmatch(body[:-1]):
        wide = body[-1] + tail  # digits before 千万, 百亿: "3千万" is 3 × 千万
        if wide in ZH_SCALES:
            return body[:-1], wide, ZH_SCALES[wide]
    if tail not in ZH_SCALES:
        return run, None, 1.0  # "四万万": read whole
    return body, tail, ZH_SCALES[tail]


def zh_numeral(token: str) -> float | None:
    """Value of a Chinese (or mixed) numeral: "三", "二十", "一千零五十", "四亿五千六百四十二万零一十五",
    "3万4000", "一点五亿", "十二点五"; elliptic forms "一万三" (13,000) and "四百五" (450).
    None when malformed ("三三", "十十").
    """
    if not token:
        return None
    whole, _, frac = token.partition("点")
    scale = 1.0
    if frac:
        digits = frac.rstrip("万亿")
        for ch in frac[len(digits) :]:
            scale *= ZH_BIG_UNITS[ch]
        if not digits or any(ch not in _ZH_DECIMAL_DIGITS for ch in digits):
            return None
        frac = "".join(str(ZH_DIGITS[ch]) for ch in digits)
    integer = _zh_integer(whole) if whole else None
    if integer is None:
        return None
    return (integer + (float("0." + frac) if frac else 0.0)) * scale


_ARABIC_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _zh_integer(token: str) -> float | None:
    total = 0.0  # completed 亿 groups
    section = 0.0  # completed 万 groups within the current 亿 group
    small = 0.0  # 十/百/千 part within the current 万 group
    digit: float | None = None  # a digit waiting for its unit
    arabic = False  # the waiting digit was written in Arabic numerals
    last_small = 10_000  # units must fall within a 万 group: 三千五百, never 三百五千
    last_unit = 0.0  # magnitude of the last unit seen, for "一万三" = 13,000
    after_zero = False
    i = 0
    while i < len(token):
        ch = token[i]
        if ch.isdigit():
            m = _ARABIC_RE.match(token, i)
            if m is None or digit is not None:
                return None
            digit, arabic, after_zero = float(m.group().replace(",", "")), True, False
            i = m.end()
            continue
        if ch in ZH_DIGITS:
            if ZH_DIGITS[ch] == 0:
                if digit is not None:
                    return None
                after_zero = True
            elif digit is not None:
                return None  # "三三": two digits with no unit between
            else:
                digit, arabic = float(ZH_DIGITS[ch]), False
        elif ch in ZH_SMALL_UNITS:
            unit = ZH_SMALL_UNITS[ch]
            if unit >= last_small:
                return None
            small += (1.0 if digit is None else digit) * unit
            digit, last_small, last_unit, after_zero = None, unit, unit, False
        elif ch in ZH_BIG_UNITS:
            group = small + (digit or 0.0)
            if ch == "亿":
                total = (total + section + group) * 1e8
                section = 0.0
            elif group == 0 and section:
                section *= 1e4  # "四万万"
            else:
                section += group * 1e4
            if total == 0 and section == 0 and group == 0:
                return None  # "万" alone
            small, digit, last_small, last_unit, after_zero = (
                0.0,
                None,
                10_000,
                ZH_BIG_UNITS[ch],
                False,
            )
        else:
            return None
        i += 1
    if digit is not None and not arabic and not after_zero and last_unit >= 100:
        digit *= last_unit / 10  # "一万三", "四百五": the digit continues the last unit
    return total + section + small + (digit or 0.0)


def en_words_value(token: str) -> float | None:
    """Value of English number words: "forty-eight", "one hundred and six", "two thousand"."""
    total = current = 0
    for word in re.split(r"[ \u00a0,]+|-(?=[a-z])", token.lower()):
        if not word or word == "and":
            continue
        if word == "hundred":
            current = (current or 1) * 100
        elif word == "dozen":
            current = (current or 1) * 12
        elif word == "thousand":
            total, current = total + (current or 1) * 1000, 0
        elif word in EN_NUMBER_WORDS:
            current += EN_NUMBER_WORDS[word]
        else:
            return None
    return float(total + current)
