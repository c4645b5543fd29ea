"""Printed dates -> ISO 8601 (crawler/dates.py)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dates import (
    date_from_url,
    days_printed,
    find_date_in_text,
    find_dateline,
    parse_date,
    prints_day,
    top_date,
    with_offset,
)
from crawler.encoding import decode_html
from fixtures.pages import page_bytes, records
from fixtures.texts import corpus_articles

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2})?$")

FORMATS = [
    # dateparser returns None for this order; the time and offset must survive.
    ("16:50 UTC+8, 2020-11-07", "2020-11-07T16:50:00+08:00"),
    ("Jan. 7, 2022", "2022-01-07"),
    # htmldate reads this as January 1st.
    ("2022年1月7日", "2022-01-07"),
    ("发布时间：2022年1月7日", "2022-01-07"),
    ("发布时间：2022-01-07 10:00", "2022-01-07T10:00:00+08:00"),
    ("Updated: 2024-05-13 09:14", "2024-05-13T09:14:00+08:00"),
    ("Updated : 2021-01-19", "2021-01-19"),
    ("SUZHOU, China, July 4, 2019 /PRNewswire/", "2019-07-04"),
    ("30.08.2022 03:04:00", "2022-08-30T03:04:00+08:00"),
    ("30 Aug 2022, 07:34 GMT+10", "2022-08-30T07:34:00+10:00"),
    ("10/09/2020", "2020-10-09"),  # month first: nio.com's "10/09/2020" is October 9
    ("25/09/2020", "2020-09-25"),  # cannot be month first
    ("2017-04-19 14:16:00", "2017-04-19T14:16:00+08:00"),
    ("23.10.2015  08:57", "2015-10-23T08:57:00+08:00"),
    ("Sept. 3, 2021", "2021-09-03"),
    ("July 08, 2023", "2023-07-08"),
    ("2024-05-13T01:14:00Z", "2024-05-13T01:14:00+00:00"),
    ("2024-05-07T16:02:43+08:00", "2024-05-07T16:02:43+08:00"),
    ("2024-05-13T09:14:00.000+0800", "2024-05-13T09:14:00+08:00"),
    ("Mon, 13 May 2024 09:14:00 GMT", "2024-05-13T09:14:00+00:00"),
    ("2022年1月7日 下午3:00", "2022-01-07T15:00:00+08:00"),
    ("2024/05/13 9:14 pm", "2024-05-13T21:14:00+08:00"),
    ("Date:2018-10-12 09:47:00Edit:Editor of Suzhou China", "2018-10-12T09:47:00+08:00"),
    ("11:35, November 23, 2022", "2022-11-23T11:35:00+08:00"),
    (" 2024-05-13", "2024-05-13"),
]


@pytest.mark.parametrize(("text", "expected"), FORMATS)
def test_parse_date_formats(text: str, expected: str) -> None:
    assert parse_date(text) == expected


def test_default_offset_is_configurable() -> None:
    assert parse_date("2017-04-19 14:16:00", default_tz="+01:00") == "2017-04-19T14:16:00+01:00"
    # a printed offset beats the default
    assert parse_date("30 Aug 2022, 07:34 GMT+10", default_tz="+01:00").endswith("+10:00")


def test_date_format_from_the_registry_comes_first() -> None:
    # Day-month order that the generic rules would read month first.
    assert parse_date("09/10/2020", date_format="%d/%m/%Y") == "2020-10-09"
    assert parse_date("09/10/2020 08:30", date_format="%d/%m/%Y %H:%M") == (
        "2020-10-09T08:30:00+08:00"
    )
    # a format that does not fit falls back to the generic rules
    assert parse_date("2020-10-09", date_format="%d/%m/%Y") == "2020-10-09"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "garbage",
        "2022-13-45",
        "2020-02-30",
        "99999999999999",
        "32/13/2020",
        "年月日",
        None,
    ],
)
def test_malformed_dates_are_none(text: str | None) -> None:
    assert parse_date(text) is None


@settings(max_examples=200, deadline=1000)
@given(st.text(max_size=120))
def test_parse_date_never_raises_and_returns_iso(text: str) -> None:
    found = parse_date(text)
    assert found is None or ISO.match(found)


@settings(max_examples=200, deadline=1000)
@given(st.text(max_size=300))
def test_text_scanners_never_raise(text: str) -> None:
    found = find_date_in_text(text)
    assert found is None or ISO.match(found)
    find_dateline(text)
    date_from_url("http://example.com/" + text)


# Every non-null `published` string of demo/corpus/articles.jsonl (40 real texts, see
# demo/corpus/ARTICLES.md), with the day it names; the
# day was read off each article's text by hand.
ARTICLE_DATES = [
    ("2021-01-19", "2021-01-19"),
    ("November 26, 2002", "2002-11-26"),
    ("2022-03-24", "2022-03-24"),
    ("2017-04-19 14:16:00", "2017-04-19"),
    ("April 18, 2007", "2007-04-18"),
    ("April 25, 2023", "2023-04-25"),
    ("2024-04-24", "2024-04-24"),
    ("10/09/2020", "2020-10-09"),  # the text: "On October 9, NIO China headquarters ..."
    ("30.08.2022 03:04:00", "2022-08-30"),
    ("30 Aug 2022, 07:34 GMT+10", "2022-08-30"),
    ("Nov. 20, 2023", "2023-11-20"),
    ("Nov. 21, 2023", "2023-11-21"),
    ("2021-12-12 14:20:47", "2021-12-12"),
    ("December 29, 2020", "2020-12-29"),
    ("2019-07-21", "2019-07-21"),
    ("Sep 15, 2022", "2022-09-15"),
    ("Nov 30, 2023", "2023-11-30"),
    ("November 30, 2023", "2023-11-30"),
    ("23.10.2015  08:57", "2015-10-23"),
    ("2023-01-04 10:54:59", "2023-01-04"),
    ("2018-10-12 09:47:00", "2018-10-12"),
    ("2024-07-16", "2024-07-16"),
    ("2021-09-03", "2021-09-03"),
    ("April 28, 2025", "2025-04-28"),
    ("July 08, 2023", "2023-07-08"),
]


def test_article_dates_cover_the_whole_corpus() -> None:
    printed = {article.published for article in corpus_articles()}
    assert printed - {None} == {published for published, _ in ARTICLE_DATES}


@pytest.mark.parametrize(("published", "day"), ARTICLE_DATES)
def test_article_corpus_dates(published: str, day: str) -> None:
    found = parse_date(published)
    assert found is not None and found[:10] == day


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("发布时间：2022年1月7日 来源：苏州日报", "2022-01-07"),
        ("首页 > 新闻\n时间：2024-05-13 09:14 来源：新华网\n正文", "2024-05-13T09:14:00+08:00"),
        ("(chinadaily.com.cn) | Updated : 2022-03-24\n\nSuzhou New District", "2022-03-24"),
        (
            "Hu Min\n  16:50 UTC+8, 2020-11-07       0\nNeighboring Zhejiang",
            "2020-11-07T16:50:00+08:00",
        ),
        ("Headline\n\nSUZHOU, China, July 4, 2019 /PRNewswire/ -- On July 2, ...", "2019-07-04"),
        ("On July 2 the delegation went to Tokyo.", None),
        ("On the 24th June, the conference was held.", None),
    ],
)
def test_find_date_in_text(text: str, expected: str | None) -> None:
    assert find_date_in_text(text) == expected


def test_labelled_date_beats_an_earlier_unlabelled_one() -> None:
    text = "Photo taken on May 3, 2024.\n发布时间：2024-05-13 10:00"
    assert find_date_in_text(text) == "2024-05-13T10:00:00+08:00"
    further_down = "Headline\n" + "Body text. " * 20 + "Photo taken on May 3, 2024."
    assert find_date_in_text(further_down) == "2024-05-03"
    assert find_date_in_text(further_down, strict=True) is None


def test_date_under_the_headline_beats_the_wire_dateline() -> None:
    # finanzen.at's copy: its own date under the headline, the wire's day in the dateline
    text = (
        "Xinhua Silk Road: First Zhangjiagang Development Conference\n30.08.2022 03:04:00\n"
        "ZHANGJIAGANG, China, Aug. 29, 2022 /PRNewswire/ -- The first ..."
    )
    assert find_date_in_text(text, strict=True) == "2022-08-30T03:04:00+08:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "SUZHOU, China, July 4, 2019 /PRNewswire/ -- On July 2",
            "SUZHOU, China, July 4, 2019 /PRNewswire/",
        ),
        ("NANJING, April 23 (Xinhua) -- Jiangsu Province", "NANJING, April 23 (Xinhua)"),
        (
            "SUZHOU, China, April 28, 2025 (GLOBE NEWSWIRE) -- On",
            "SUZHOU, China, April 28, 2025 (GLOBE NEWSWIRE)",
        ),
        (
            "the meeting SUZHOU, China, Jan. 7, 2022 /PRNewswire/ — x",
            "SUZHOU, China, Jan. 7, 2022 /PRNewswire/",
        ),
        ("Suzhou is a city in Jiangsu.", None),
    ],
)
def test_find_dateline(text: str, expected: str | None) -> None:
    assert find_dateline(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "http://regional.chinadaily.com.cn/SuzhouNewDistrict/2021-05/12/c_622037.htm",
            "2021-05-12",
        ),
        ("https://www.chinadaily.com.cn/a/202405/13/WS664167f4a31082fc043c6af7.html", "2024-05-13"),
        ("http://www.he.news.cn/20240515/d59c39d4160a4fe4b3084c3e4abfb450/c.html", "2024-05-15"),
        ("http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html", "2024-04-24"),
        ("http://english.jschina.com.cn/23262/201704/t20170419_3964563.shtml", "2017-04-19"),
        ("http://english.ningbo.gov.cn/art/2019/7/21/art_933_1013636.html", "2019-07-21"),
        ("https://www.shine.cn/news/metro/2011079293/", None),
        ("http://www.bigdaddesign.com/en/news_show.asp?ncid=85", None),
        ("http://example.com/2024-13/45/x.html", None),
    ],
)
def test_date_from_url(url: str, expected: str | None) -> None:
    assert date_from_url(url) == expected


# --- strict: an impossible date is no date (issue 15) ---------------------------------------

IMPOSSIBLE = [
    "2021-02-30",  # was stored as 2021-02-01 (htmldate) and rolled over elsewhere
    "2021-02-29",  # 2021 is no leap year
    "2021-13-01",  # was 2021-01-13 (dateparser swapped day and month)
    "2021/13/01",
    "2021-00-10",
    "2021-04-31",
    "-2021-01-01",  # was 2021-01-01: a sign in front of the year
    "+2021-01-01",
    "−2021-01-01",  # U+2212 minus sign
    "2021年2月30日",
    "发布时间：2021-02-30 10:00",
    "Feb 30, 2021",
    "31 April 2021",
    "30.02.2021",
    "31/04/2021",
    "2021-01-01T25:00:00",  # no 25 o'clock, and no rolling into January 2nd
    "2021-01-01 24:00",
    "2021-01-01T10:61",
    "2021-01-01 10:00:60",
    "25:35, November 23, 2022",
    "2021-12-01T10:00:00+15:00",  # beyond the ±14:00 any clock uses
    "2021-01-01T10:00:00+99:00",
    "2021-01-01T10:00:00+08:75",
    "13/13/2021",
    "1979-12-31",  # outside the years news pages carry (1980-2100)
]


@pytest.mark.parametrize("text", IMPOSSIBLE)
def test_an_impossible_date_is_no_date(text: str) -> None:
    assert parse_date(text) is None
    assert find_date_in_text(text) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://regional.chinadaily.com.cn/a/2021-02/30/c_1.htm",
        "https://www.chinadaily.com.cn/a/202113/01/WS1.html",
        "http://www.he.news.cn/20210230/d59c/c.html",
        "http://politics.people.com.cn/n1/2021/0230/c1001-1.html",
    ],
)
def test_an_impossible_day_in_a_url_is_no_date(url: str) -> None:
    assert date_from_url(url) is None


def test_stored_timestamps_carry_an_offset() -> None:
    assert with_offset("2021-05-12") == "2021-05-12T00:00:00+08:00"
    assert with_offset("2021-05-12", "+01:00") == "2021-05-12T00:00:00+01:00"
    assert with_offset("2021-05-12T10:00:00-05:00") == "2021-05-12T10:00:00-05:00"


def test_days_printed_reads_every_real_day_and_no_impossible_one() -> None:
    text = "2021-02-30 and 2021-03-01, 10/09/2020, /202405/13/, Feb 30, 2021, 30.02.2021"
    assert days_printed(text) == {"2021-03-01", "2020-10-09", "2020-09-10", "2024-05-13"}


def _other_days(days: set[str]) -> set[str]:
    """The day after each of ``days`` (and New Year's Day of its year): days a page may not print."""
    after = {(date.fromisoformat(day).toordinal() + 1) for day in days}
    return {date.fromordinal(n).isoformat() for n in after} | {d[:4] + "-01-01" for d in days}


def test_prints_day_agrees_with_days_printed_on_the_real_pages() -> None:
    for rec in records():
        text, _ = decode_html(page_bytes(rec))
        days = days_printed(text)
        for day in days | _other_days(days) | {"2024-05-13"}:
            assert prints_day(text, day) == (day in days), (rec["path"], day)


@pytest.mark.parametrize(
    "text",
    [
        "<p>2024-05-13</p>",
        "x>2024年5月13日<",
        "<a>May</a> 13, 2024",
        "<b>13</b>.05.2024",
        "5/13/2024<b>",
        '<a href="/2024/0513/">',
        "<i>２０２４-05-13</i>",
        "12024-05-13",
        "2024\n-\n05-13<",
    ],
)
def test_prints_day_reads_markup_as_the_whole_text_does(text: str) -> None:
    assert prints_day(text, "2024-05-13") == ("2024-05-13" in days_printed(text))


def test_top_date_is_what_a_search_that_is_not_strict_falls_back_on() -> None:
    text = "Headline\n" + "Body text. " * 20 + "Photo taken on May 3, 2024."
    assert find_date_in_text(text, strict=True) is None
    assert top_date(text) == find_date_in_text(text) == "2024-05-03"


# Fuzzing with a per-input time budget: hypothesis fails an input that takes longer.
BUDGET_MS = 250
DAY_FORMATS = [
    "{y:04d}-{m:02d}-{d:02d}",
    "{y:04d}-{m}-{d}",
    "{y:04d}/{m:02d}/{d:02d}",
    "{y:04d}年{m}月{d}日",
    "发布时间：{y:04d}-{m:02d}-{d:02d} 10:30",
    "{d:02d}.{m:02d}.{y:04d}",
    "{mon} {d}, {y:04d}",
    "{d} {mon} {y:04d}",
    "{y:04d}-{m:02d}-{d:02d}T08:15:00+08:00",
]
MONTH_NAMES = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "June",
    "July",
    "Aug",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
]


@settings(max_examples=300, deadline=BUDGET_MS)
@given(
    st.dates(min_value=date(1980, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from(DAY_FORMATS)
)
def test_every_real_day_reads_back_as_itself(day: date, form: str) -> None:
    text = form.format(y=day.year, m=day.month, d=day.day, mon=MONTH_NAMES[day.month - 1])
    found = parse_date(text)
    assert found is not None and found[:10] == day.isoformat(), (text, found)
    assert ISO.match(found)


@settings(max_examples=300, deadline=BUDGET_MS)
@given(
    st.integers(1980, 2100),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from(DAY_FORMATS[:6]),
)
def test_no_impossible_numeric_day_rolls_over(year: int, month: int, day: int, form: str) -> None:
    try:
        date(year, month, day)
    except ValueError:
        text = form.format(y=year, m=month, d=day, mon="")
        assert parse_date(text) is None, text
        assert date_from_url(f"http://a.example/{year:04d}-{month:02d}/{day:02d}/x.html") is None


@settings(max_examples=200, deadline=BUDGET_MS)
@given(st.dates(min_value=date(1980, 1, 1)), st.sampled_from(["-", "+", "\u2212"]))
def test_a_signed_year_is_no_date(day: date, sign: str) -> None:
    assert parse_date(sign + day.isoformat()) is None


@settings(max_examples=200, deadline=BUDGET_MS)
@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_an_impossible_clock_is_no_date(hour: int, minute: int, second: int) -> None:
    text = f"2021-06-15 {hour:02d}:{minute:02d}:{second:02d}"
    found = parse_date(text)
    if hour > 23 or minute > 59 or second > 59:
        assert found is None, text
    else:
        assert found == f"2021-06-15T{hour:02d}:{minute:02d}:{second:02d}+08:00"


@settings(max_examples=300, deadline=BUDGET_MS)
@given(st.text(max_size=300))
def test_days_printed_never_raises_and_only_gives_real_days(text: str) -> None:
    for day in days_printed(text):
        date.fromisoformat(day)


@settings(max_examples=300, deadline=BUDGET_MS)
@given(st.text(alphabet="<>/-.年月日 ,May2041305１２", max_size=60))
def test_prints_day_agrees_with_days_printed(text: str) -> None:
    days = days_printed(text)
    for day in days | {"2024-05-13", "2013-05-04"}:
        assert prints_day(text, day) == (day in days)
