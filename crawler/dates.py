"""Printed dates -> ISO 8601, for the formats Chinese and English news pages use.

Own regular expressions come first because the general parsers get these pages wrong in
known ways (dateparser gives up on "16:50 UTC+8, 2020-11-07" and on labelled strings,
htmldate reads "2022年1月7日" as January 1st); dateparser is the fallback for anything else.

Output: ``YYYY-MM-DDTHH:MM:SS+HH:MM`` when a time is printed (offset as printed, else the
default, +08:00 for Chinese sources), and a bare ``YYYY-MM-DD`` when only the day is known
(`with_offset` turns that into the stored timestamp, 00:00 local time). Nothing here raises on
odd text; what cannot be read is ``None``.

Strict: a date that does not exist is no date. No rollover (``2021-02-30``, ``2021-13-01``,
``25:00``, an offset beyond ±14:00 give ``None``, never a neighbouring day), no sign games
(``-2021-01-01`` and ``+2021-01-01`` are no dates), and numeric forms our patterns reject are
not handed to dateparser, which would swap day and month.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

__all__ = [
    "parse_date",
    "find_date_in_text",
    "top_date",
    "find_dateline",
    "date_from_url",
    "days_printed",
    "prints_day",
    "find_date_span",
    "with_offset",
]

_MAX_INPUT = 300
_UNDER_HEADLINE = 160  # characters after the headline's start that count as "under" it
_DATE_LINE_REST = 50  # characters besides the date (and time) that a date line may hold
_YEARS = range(1980, 2101)

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_NAMES = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTH = rf"(?P<mon>(?i:{_MONTH_NAMES}))\.?"
# A sign or digit right before the year makes it no date ("-2021-01-01", "12021-01-01").
_YMD = re.compile(
    r"(?<![\d+\-\u2212])(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})(?!\d)\s*日?"
)
# The four digits of a year, which every pattern of a day holds; written out, the regex engine
# skips to the first digit (`\d{4}` would try every position).
_YEAR_DIGITS = re.compile(r"\d\d\d\d")
_DMY_DOTS = re.compile(r"(?<![\d+\-.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?!\d)")
_SLASHED = re.compile(r"(?<![\d+\-/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?!\d)")
_MDY_NAMED = re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b")
_DMY_NAMED = re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<y>\d{{4}})\b")
_TIME = re.compile(
    r"(?P<zh>上午|下午|晚上|中午|凌晨)?\s*(?<![\d.:])(?P<h>[01]?\d|2[0-3])[:：](?P<mi>[0-5]\d)(?:[:：](?P<s>[0-5]\d)(?:[.:]\d{1,6})?)?(?![\d:])"
    r"(?:\s*(?P<ampm>[ap]\.?m\.?)(?![a-z]))?",
    re.I,
)
_TZ = re.compile(
    r"(?P<utc>\b(?:UTC|GMT))\s*(?:(?P<sign>[+-])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)?"
    r"|(?<=\d)(?P<z>Z)\b"
    r"|(?<=[\d\s])(?P<sign2>[+-])(?P<oh2>\d{2}):?(?P<om2>\d{2})\b"
    r"|(?P<bj>Beijing\s+time|北京时间)",
    re.I,
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")

# Labels that introduce the page's own date ("发布时间：", "Updated :", "Date:").
_LABEL = (
    r"(?:发布时间|发布日期|发表时间|发稿时间|更新时间|时间|日期|发布于|"
    r"published(?:\s+(?:on|at))?|updated(?:\s+(?:on|at))?|posted(?:\s+(?:on|at))?|"
    r"release\s+date|date|time)"
)
_LABELLED = re.compile(rf"{_LABEL}\s*[:：]\s*(?P<rest>.{{6,60}})", re.I)
_LEADING_LABEL = re.compile(rf"^\s*{_LABEL}\s*[:：]\s*", re.I)
# "SUZHOU, China, July 4, 2019 /PRNewswire/", "NANJING, April 23 (Xinhua)", "... (GLOBE NEWSWIRE)".
_DATELINE = re.compile(
    r"(?P<line>\b[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3}"  # SUZHOU, HONG KONG
    r"(?:,\s*[A-Z][A-Za-z.]+(?: [A-Z][A-Za-z.]+){0,2})?"  # , China
    rf",\s*(?i:{_MONTH_NAMES})\.?\s+\d{{1,2}}(?:,\s*\d{{4}})?"  # , July 4, 2019
    r"\s*(?:/[^/\n]{2,30}/|\([^)\n]{2,30}\)))"  # /PRNewswire/, (Xinhua)
)
_URL_DATES = (
    re.compile(r"/(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})/(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>(?:19|20)\d{2})(?P<m>\d{2})/(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>(?:19|20)\d{2})/(?P<m>\d{2})(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>(?:19|20)\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})/"),
    re.compile(r"/(?P<y>(?:19|20)\d{2})-(?P<m>\d{2})-(?P<d>\d{2})/"),
    re.compile(r"(?<=[/_t])(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?=[/_.])"),
)


def _day(y: str | int, m: str | int, d: str | int) -> date | None:
    try:
        found = date(int(y), int(m), int(d))
    except (ValueError, TypeError):
        return None
    return found if found.year in _YEARS else None


def _printed_days(
    text: str, *, both_readings: bool = False
) -> Iterator[tuple[date, tuple[int, int]]]:
    """Every real calendar day printed in ``text``, with its span, pattern by pattern.

    An ambiguous a/b/yyyy is read month first (US usage of the English pages that print it)
    unless the first number cannot be a month; ``both_readings`` gives the other one too.
    """
    if _YEAR_DIGITS.search(text) is None:  # every pattern holds one: most lines are read here
        return
    for pattern in (_YMD, _DMY_DOTS, _MDY_NAMED, _DMY_NAMED):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            month = groups["m"] if "m" in groups else _MONTHS[groups["mon"].lower()[:3]]
            found = _day(groups["y"], month, groups["d"])
            if found:
                yield found, match.span()
    for match in _SLASHED.finditer(text):
        first, second, year = int(match.group("a")), int(match.group("b")), match.group("y")
        readings = [_day(year, second, first), _day(year, first, second)]
        if first <= 12 and not both_readings:
            readings = readings[1:]
        for found in readings:
            if found:
                yield found, match.span()
                if not both_readings:
                    break


def _find_day(text: str) -> tuple[date, tuple[int, int]] | None:
    """The first calendar day printed in ``text`` and the span it occupies."""
    return min(_printed_days(text), key=lambda hit: hit[1][0], default=None)


def _offset(text: str, default_tz: str) -> timezone | None:
    """The offset printed in ``text`` (UTC+8, GMT+10, +0800, Z, Beijing time), else the default.

    None for a printed offset that no clock uses (beyond ±14:00, or 60 minutes and more).
    """
    match = _TZ.search(text)
    sign, hours, minutes = "+", "0", "0"
    if match is None:
        parsed = _OFFSET.match(default_tz.strip())
        if parsed is None:
            return timezone(timedelta(hours=8))
        sign, hours, minutes = parsed.groups()
    elif match.group("bj"):
        hours = "8"
    elif match.group("utc") and match.group("sign"):
        sign, hours, minutes = match.group("sign"), match.group("oh"), match.group("om") or "0"
    elif match.group("sign2"):
        sign, hours, minutes = match.group("sign2"), match.group("oh2"), match.group("om2")
    if int(minutes) >= 60:
        return None
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


# A clock printed right after or before a date, whatever its numbers: checked, never rolled over.
_CLOCK_AFTER = re.compile(r"^\s*T?\s*(?P<h>\d{1,2})[:：](?P<mi>\d{1,2})(?:[:：](?P<s>\d{1,2}))?")
_CLOCK_BEFORE = re.compile(
    r"(?<![\d:])(?P<h>\d{1,2})[:：](?P<mi>\d{2})(?:[:：](?P<s>\d{2}))?\s*,?\s*$"
)


def _impossible_clock(before: str, after: str) -> bool:
    """True when a time printed next to a date does not exist (25:00, 10:61, 10:00:75)."""
    for match in (_CLOCK_AFTER.match(after), _CLOCK_BEFORE.search(before)):
        if match and (
            int(match.group("h")) > 23
            or int(match.group("mi")) > 59
            or int(match.group("s") or 0) > 59
        ):
            return True
    return False


def _iso(day: date, text: str, default_tz: str) -> str | None:
    """``day`` plus the time of day printed in ``text``, if any (None for an impossible offset)."""
    match = _TIME.search(text)
    if match is None:
        return day.isoformat()
    hour = int(match.group("h"))
    ampm = (match.group("ampm") or "").lower()
    if match.group("zh") in {"下午", "晚上"} or (match.group("zh") == "中午" and hour < 6):
        ampm = "pm"
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    offset = _offset(text, default_tz)
    if offset is None:
        return None
    moment = datetime(
        day.year, day.month, day.day, hour, int(match.group("mi")), int(match.group("s") or 0),
        tzinfo=offset,
    )  # fmt: skip
    return moment.isoformat()


@lru_cache(maxsize=1)
def _dateparser_settings() -> dict[str, object]:
    return {
        "RETURN_AS_TIMEZONE_AWARE": False,
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PREFER_DATES_FROM": "past",
    }


# Numbers in a date's shape that our patterns rejected: dateparser would read them some other
# way ("2021-13-01" as January 13th), so they are no date.
_NUMERIC_SHAPE = re.compile(r"\d{1,4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,4}|[+\-\u2212]\d{4}\b")
_WORDS = re.compile(r"[^\W\d_]{2,}")  # a month name, a weekday, 年/月...


def _with_dateparser(text: str, default_tz: str) -> str | None:
    """Fallback for wordings our patterns do not know ("3rd of May 2021", "今天" excluded)."""
    if _NUMERIC_SHAPE.search(text) or not _WORDS.search(text):
        return None
    try:
        import dateparser

        parsed = dateparser.parse(text, languages=["en", "zh"], settings=_dateparser_settings())
    except Exception:  # dateparser raises assorted errors on odd text
        return None
    if parsed is None or parsed.year not in _YEARS:
        return None
    parsed = parsed.replace(microsecond=0)
    has_time = _TIME.search(text) is not None
    if not has_time:
        return parsed.date().isoformat()
    if parsed.tzinfo is None:
        offset = _offset(text, default_tz)
        if offset is None:
            return None
        parsed = parsed.replace(tzinfo=offset)
    return parsed.isoformat()


def parse_date(
    text: str | None, *, default_tz: str = "+08:00", date_format: str | None = None
) -> str | None:
    """ISO 8601 for a printed date ("Jan. 7, 2022", "发布时间：2022-01-07 10:00", ...).

    ``date_format`` (a ``strptime`` format from a source's registry entry) is tried first.
    """
    if not text or not isinstance(text, str):
        return None
    text = " ".join(text.split())[:_MAX_INPUT]
    if date_format:
        try:
            parsed = datetime.strptime(text, date_format)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.year in _YEARS:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=_offset("", default_tz) or UTC)
            has_clock = any(code in date_format for code in ("%H", "%I", "%M"))
            return parsed.isoformat() if has_clock else parsed.date().isoformat()
    text = _LEADING_LABEL.sub("", text)
    found = _find_day(text)
    if found is not None:
        day, (start, end) = found
        before, after = text[max(0, start - 25) : start], text[end : end + 30]
        if _impossible_clock(before, after):
            return None
        # A time (and offset) belongs to the date when printed right before or after it.
        return _iso(day, before + " " + after, default_tz)
    return _with_dateparser(text, default_tz)


def find_dateline(text: str | None) -> str | None:
    """A wire-style dateline, e.g. "SUZHOU, China, July 4, 2019 /PRNewswire/"."""
    if not text:
        return None
    match = _DATELINE.search(text[:3000])
    return " ".join(match.group("line").split()) if match else None


def _printed_in(text: str, default_tz: str, *, date_line: bool = False) -> str | None:
    """The first full date (with year) in ``text``, with the time printed next to it.

    With ``date_line``, only when that date stands on a line of its own, give or take a label,
    a source and a byline ("2024-05-13 09:14 来源：新华网"): a date inside a sentence (a photo
    caption's "taken on May 3, 2024") is not the page's date.
    """
    found_day = _find_day(text)
    if found_day is None:
        return None
    _, (start, end) = found_day
    if date_line:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        rest = text[line_start:start] + text[end : len(text) if line_end < 0 else line_end]
        rest = _TIME.sub("", _TZ.sub("", rest))
        if len(rest.strip()) > _DATE_LINE_REST:
            return None
    return parse_date(text[max(0, start - 25) : end + 30], default_tz=default_tz)


def find_date_in_text(
    text: str | None, *, default_tz: str = "+08:00", strict: bool = False
) -> str | None:
    """The page's own date as printed in its visible text, or None.

    For text that starts at the headline, looks in order for: a labelled date ("发布时间：…",
    "Updated : …"), a date line right under the headline, a wire dateline, then (unless
    ``strict``) the first full date, with year, further down the top of the text. A dateline
    comes after the date under the headline because syndicated copies keep the wire's day
    while printing their own.
    """
    if not text:
        return None
    head = text[:3000]
    for match in _LABELLED.finditer(head):
        found = parse_date(match.group("rest"), default_tz=default_tz)
        if found:
            return found
    under_headline = _printed_in(head[:_UNDER_HEADLINE], default_tz, date_line=True)
    if under_headline:
        return under_headline
    dateline = find_dateline(head)
    if dateline and (found := parse_date(dateline, default_tz=default_tz)):
        return found
    return None if strict else top_date(head, default_tz)


def top_date(text: str, default_tz: str = "+08:00") -> str | None:
    """The first full date, with year, in the top 600 characters of ``text``: what
    `find_date_in_text` falls back on (so a caller holding its strict answer need not search
    the text again)."""
    return _printed_in(text[:600], default_tz)


def find_date_span(text: str) -> tuple[int, int] | None:
    """Where the first full date in ``text`` stands, with a time and offset printed next to it."""
    found = _find_day(text)
    if found is None:
        return None
    _, (start, end) = found
    after = _TIME.match(text, len(text) - len(text[end:].lstrip(" T,")))
    if after:
        end = after.end()
        zone = _TZ.match(text, len(text) - len(text[end:].lstrip()))
        end = zone.end() if zone else end
    before = _CLOCK_BEFORE.search(text[:start])
    if before:
        start = before.start()
    return start, end


def days_printed(text: str) -> set[str]:
    """Every real calendar day printed in ``text`` in a form the patterns here read (both
    readings of an ambiguous a/b/yyyy, and URL paths), as ``YYYY-MM-DD``; a check on other
    parsers' output."""
    days = {found.isoformat() for found, _ in _printed_days(text, both_readings=True)}
    for pattern in _URL_DATES:
        for match in pattern.finditer(text):
            found = _day(match.group("y"), match.group("m"), match.group("d"))
            if found:
                days.add(found.isoformat())
    return days


_DIGIT_RUN = re.compile(r"\d\d\d\d+")


def prints_day(text: str, day: str) -> bool:
    """Whether ``day`` (``YYYY-MM-DD``) is among `days_printed` of ``text``, a page's HTML,
    from the stretches between its markup characters (``<``, ``>``) that hold the day's year.

    No form read here holds a ``<`` or ``>``, and beside one the patterns' look-arounds and
    word boundaries read as beside the start or end of a text: each stretch prints the same
    days alone as within the page. Of a page, a few stretches are read, not all of it.
    """
    year = day[:4]
    read_to = 0
    for run in _DIGIT_RUN.finditer(text):
        digits = run.group()
        if run.start() < read_to or (digits.isascii() and year not in digits):
            continue  # read already, or not the year (a year in other digits is read)
        start = max(text.rfind("<", 0, run.start()), text.rfind(">", 0, run.start())) + 1
        ends = [at for at in (text.find("<", run.end()), text.find(">", run.end())) if at >= 0]
        read_to = min(ends, default=len(text))
        if day in days_printed(text[start:read_to]):
            return True
    return False


def with_offset(value: str, default_tz: str = "+08:00") -> str:
    """A stored timestamp: a bare day becomes 00:00 local time with ``default_tz``'s offset."""
    if len(value) != 10:
        return value
    offset = _offset("", default_tz) or timezone(timedelta(hours=8))
    return datetime.fromisoformat(value).replace(tzinfo=offset).isoformat()


def date_from_url(url: str | None) -> str | None:
    """A day encoded in a URL path (/2021-05/12/, /202405/13/, /20240515/, /2024/0424/)."""
    if not url:
        return None
    path = url.split("?", 1)[0].split("#", 1)[0]
    for pattern in _URL_DATES:
        for match in pattern.finditer(path):
            found = _day(match.group("y"), match.group("m"), match.group("d"))
            if found:
                return found.isoformat()
    return None
