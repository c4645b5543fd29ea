"""The page object over the 38 real pages, the composed seed pages, and odd input.

Body checks are phrase- and token-level, never whole-text equality (as trafilatura's own
realworld tests do). Tokens are CJK characters and Latin words (fixtures/scores.py); the
measure is issue 9's: a paragraph the page repeats counts each time. Thresholds were measured
on these fixtures (see the report numbers in `test_body_overlap_summary`, and
bench/pages_eval.py for every page).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from functools import cached_property
from typing import Any

import lxml.etree
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler import pages
from crawler.items import Article
from crawler.pages import ArticlePage, NotAnArticle, clean_title, extract_article, normalize_url
from fixtures.compose import compose_article_html, paragraphs_of
from fixtures.pages import PAGES, checked, expected_text, page_bytes, page_url, records
from fixtures.scores import f1, overlap, title_problem, tokens, unique_paragraphs
from fixtures.texts import TextArticle, seed_articles, seed_expected

SOURCES = list(records())
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def extract(record: dict[str, Any]) -> Article:
    return extract_article(page_bytes(record), page_url(record))


def has_head(record: dict[str, Any]) -> bool:
    return b"<head" in page_bytes(record)[:20000].lower()


CAPTION = re.compile(r"\[Photo|Photo:|\(Xinhua/|/FOR CHINA DAILY|图片来源|摄\)|摄）")


def contains_paragraph(body: str, paragraph: str) -> bool:
    """The paragraph appears, allowing for whitespace and punctuation differences."""
    want = Counter(tokens(paragraph))
    return sum((want & Counter(tokens(body))).values()) >= 0.9 * sum(want.values())


WITH_GROUND_TRUTH = [r for r in SOURCES if expected_text(r) is not None]

# --- every page ---------------------------------------------------------------------------


@pytest.mark.parametrize("record", SOURCES, ids=lambda r: r["file"])
def test_every_page_gives_an_article(record: dict[str, Any]) -> None:
    article = extract(record)
    assert len(article.body) > 100
    assert "\n\n\n" not in article.body
    assert all(p == p.strip() and p for p in article.body.split("\n\n"))
    assert article.encoding == record["actual_encoding"].split()[0]
    assert article.lang == ("en" if "-en" in record["file"] else "zh")
    assert article.published_at is None or ISO.match(article.published_at)
    assert article.canonical_url.startswith("http") and "#" not in article.canonical_url
    if has_head(record) or b"<h1" in page_bytes(record):
        assert article.title
    for artefact in ("锟斤拷", "Ã", "ä¸"):
        assert artefact not in article.body
        assert artefact not in (article.title or "")


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each cached property of ArticlePage is computed, and the page parsed."""
    counts: Counter[str] = Counter()
    for name, prop in list(vars(ArticlePage).items()):
        if isinstance(prop, cached_property):

            def counted(self: ArticlePage, func: Any = prop.func, name: str = name) -> Any:
                counts[name] += 1
                return func(self)

            wrapper = cached_property(counted)
            wrapper.__set_name__(ArticlePage, name)
            monkeypatch.setattr(ArticlePage, name, wrapper)
    parse = pages.parse_html

    def counted_parse(text: str) -> Any:
        counts["<parse>"] += 1
        return parse(text)

    monkeypatch.setattr(pages, "parse_html", counted_parse)
    return counts


@pytest.mark.parametrize("record", SOURCES, ids=lambda r: r["file"])
def test_each_field_is_computed_once_per_page(
    record: dict[str, Any], computations: Counter[str]
) -> None:
    page = ArticlePage(page_bytes(record), page_url(record))
    unchanged = lxml.etree.tostring(page.tree)
    article = page.to_article()
    for field in ("title", "body", "site_name", "canonical_url", "published_at", "lang"):
        assert computations[field] == 1, field
    assert max(computations.values()) == 1, computations.most_common(3)
    assert computations["<parse>"] == 1  # one parse tree per page
    # nothing (trafilatura, htmldate, the body rules) modified that tree
    assert lxml.etree.tostring(page.tree) == unchanged
    # reading the fields again computes nothing
    assert (page.title, page.body, page.site_name) == (
        article.title,
        article.body,
        article.site_name,
    )
    assert max(computations.values()) == 1


@pytest.mark.parametrize("record", [r for r in SOURCES if has_head(r)], ids=lambda r: r["file"])
def test_title_matches_the_headline(record: dict[str, Any]) -> None:
    # sources.jsonl's headline without its site suffixes, or checked.yml's title where the
    # headline recorded there is not the article's (the reason is noted in checked.yml)
    assert title_problem(record, extract(record).title) is None


@pytest.mark.parametrize("record", WITH_GROUND_TRUTH, ids=lambda r: r["file"])
def test_body_matches_ground_truth(record: dict[str, Any]) -> None:
    expected = expected_text(record)
    body = extract(record).body
    recall, precision = overlap(expected, body, dedup=False)
    assert recall >= 0.75 and precision >= 0.70, (recall, precision)
    text_paragraphs = [
        p for p in unique_paragraphs(expected) if len(tokens(p)) >= 20 and not CAPTION.search(p)
    ]
    assert contains_paragraph(body, text_paragraphs[0]), text_paragraphs[0]
    assert contains_paragraph(body, text_paragraphs[-1]), text_paragraphs[-1]


def test_body_overlap_summary() -> None:
    """Measured on these fixtures: mean recall 0.99, precision 0.99, F1 0.990 (issue 9's
    target: F1 >= 0.985; before: 0.964, readability-lxml 0.981)."""
    scores = [overlap(expected_text(r), extract(r).body, dedup=False) for r in WITH_GROUND_TRUTH]
    mean_recall = sum(r for r, _ in scores) / len(scores)
    mean_precision = sum(p for _, p in scores) / len(scores)
    mean_f1 = sum(f1(r, p) for r, p in scores) / len(scores)
    assert len(scores) == 24
    assert mean_recall >= 0.95 and mean_precision >= 0.95, (mean_recall, mean_precision)
    assert mean_f1 >= 0.985, mean_f1


EVALDATA = {
    "xinhuanet/xinhuanet-local-c_1125597921-zh.html": "xinhuanet.com.c_1125597921.html",
    "xinhuanet/he-xinhuanet-2012-content_25340717-zh-gb2312.html": (
        "archive.org.he.xinhuanet.com.25340717.html"
    ),
}


@pytest.mark.parametrize("file", sorted(EVALDATA))
def test_trafilatura_evaldata_phrases(file: str) -> None:
    record = next(r for r in SOURCES if r["file"] == file)
    path = PAGES / "xinhuanet/expected" / (EVALDATA[file] + ".trafilatura-evaldata.json")
    (expected,) = json.loads(path.read_text("utf-8")).values()
    article = extract(record)
    for phrase in expected["with"]:
        assert phrase in article.body
    for phrase in expected["without"]:
        assert phrase not in article.body
    assert article.title == expected["title"].strip()
    assert article.published_at[:10] == expected["date"]


@pytest.mark.parametrize(
    ("file", "expected_name"),
    [
        ("gmw.cn/readability-testpage-gmw-zh.html", "readability-testpage-gmw-zh"),
        ("youth.cn/readability-testpage-youth-zh.html", "readability-testpage-youth-zh"),
        ("qq.com/readability-testpage-qq-zh.html", "readability-testpage-qq-zh"),
    ],
)
def test_readability_metadata(file: str, expected_name: str) -> None:
    folder = file.split("/")[0]
    meta_path = PAGES / folder / "expected" / f"{expected_name}.readability-expected-metadata.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    article = extract(next(r for r in SOURCES if r["file"] == file))
    assert meta["title"].startswith(article.title)
    if meta["byline"]:
        assert article.author == meta["byline"]


def test_newspaper4k_and_fundus_metadata() -> None:
    chinadaily = next(r for r in SOURCES if r["file"].startswith("chinadaily-cn/"))
    meta = json.loads(
        (
            PAGES
            / "chinadaily-cn/expected/china-chinadaily-WS65571297-zh.newspaper4k-metadata.json"
        ).read_text("utf-8")
    )
    article = extract(chinadaily)
    assert article.title == meta["title"]
    assert article.lang == meta["language"]
    people = next(r for r in SOURCES if r["file"].endswith("c1001-40223222-zh.html"))
    fundus = json.loads(
        (PAGES / "people.com.cn/expected/people-politics-c1001-40223222-zh.fundus.json").read_text(
            "utf-8"
        )
    )["V1"]
    article = extract(people)
    assert fundus["title"].startswith(article.title)
    assert article.published_at[:10] == fundus["publishing_date"][:10]


def test_postlight_expectations_for_qdaily() -> None:
    article = extract(next(r for r in SOURCES if r["file"].startswith("qdaily.com/")))
    assert article.title == "这个约会软件，想用你和对方的相似好恶来帮你找对象"
    assert article.author == "谢若含"
    # postlight: date_published '2017-03-01T06:27:02.000Z', the same instant
    assert article.published_at == "2017-03-01T14:27:02+08:00"


# published_at for every page that prints or declares its date (checked.yml, checked by hand).
PUBLISHED = {f: v["published_at"] for f, v in checked().items() if "published_at" in v}


@pytest.mark.parametrize(("file", "published"), sorted(PUBLISHED.items()))
def test_published_at(file: str, published: str) -> None:
    assert extract(next(r for r in SOURCES if r["file"] == file)).published_at == published


def test_metadata_fields_from_structured_data() -> None:
    record = next(r for r in SOURCES if r["file"] == "scmp.com/scmp-opinion-3046526-en.html")
    article = extract(record)
    assert article.author == "Alice Wu"
    assert article.updated_at == "2020-01-20T10:09:41+08:00"
    assert article.site_name == "South China Morning Post"
    assert article.section
    assert article.description
    assert article.canonical_url == (
        "https://www.scmp.com/comment/opinion/article/3046526/"
        "taiwanese-president-tsai-ing-wens-political-playbook-should-be"
    )
    # script-rendered page: the text is only in JSON-LD articleBody
    assert "Carrie Lam should take the time to review Tsai’s playbook" in article.body


def test_home_page_canonical_is_ignored() -> None:
    # china.com.cn's og:url points at the site's home page
    record = next(r for r in SOURCES if r["file"].startswith("china.com.cn/"))
    assert (
        extract(record).canonical_url
        == "http://news.china.com.cn/2024-05/13/content_117184963.shtml"
    )


def test_dateline_of_a_wire_story() -> None:
    record = next(r for r in SOURCES if r["file"].startswith("english.news.cn/"))
    assert extract(record).dateline == "GUANGZHOU, Jan. 15 (Xinhua)"


# --- composed seed pages --------------------------------------------------------------------

# What each composed seed page must yield (tests/fixtures/seeds/expected.json, checked by
# hand): its published date, and the paragraphs that are site furniture, not article (the page
# object leaves them out, every other paragraph is in the body). URL, title and text are the
# ones the offline demo publishes.
SEED_EXPECTED = seed_expected()


@pytest.mark.parametrize("seed", seed_articles(), ids=lambda seed: seed.id)
def test_composed_seed_pages_round_trip(seed: TextArticle) -> None:
    expected = SEED_EXPECTED[seed.id]
    page = compose_article_html(title=seed.title, text=seed.body, published=seed.published)
    article = extract_article(page, seed.url, {b"Content-Type": [b"text/html; charset=utf-8"]})
    assert article.title == seed.title
    assert article.published_at == expected["published_at"]
    assert article.lang == "en" and article.encoding == "utf-8"
    paragraphs = paragraphs_of(seed.body)
    body_paragraphs = article.body.split("\n\n")
    assert [p for p in paragraphs if p not in body_paragraphs] == expected["furniture"]
    assert article.author is None and article.description is None  # nothing invented


def test_seed_002_dateline() -> None:
    text = seed_articles()[2].body  # the text without its headline line
    article = extract_article(compose_article_html(title="x" * 10, text=text), "https://a.example/")
    assert article.dateline == "SUZHOU, China, July 4, 2019 /PRNewswire/"
    assert article.published_at == "2019-07-04T00:00:00+08:00"


def test_composed_page_is_plain_and_says_so() -> None:
    page = compose_article_html(title="A & B", text="One.\n\nTwo <b>", published="Nov. 20, 2023")
    text = page.decode("utf-8")
    assert "<title>A &amp; B</title>" in text and "<h1>A &amp; B</h1>" in text
    assert "Nov. 20, 2023" in text and "<p>Two &lt;b&gt;</p>" in text
    assert "composed" in text
    assert extract_article(page, "https://a.example/x").published_at == "2023-11-20T00:00:00+08:00"
    assert "datePublished" not in text and "og:" not in text


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("10/09/2020", "2020-10-09T00:00:00+08:00"),  # nio.com: htmldate would read 10 September
        ("30.08.2022 03:04:00", "2022-08-30T03:04:00+08:00"),
        ("30 Aug 2022, 07:34 GMT+10", "2022-08-30T07:34:00+10:00"),
        ("发布时间：2022年1月7日", "2022-01-07T00:00:00+08:00"),  # htmldate would read January 1st
    ],
)
def test_printed_date_on_a_composed_page(printed: str, expected: str) -> None:
    text = "On October 9, the office opened.\n\nSUZHOU, China, Aug. 29, 2022 /PRNewswire/ -- Text."
    for title in ("A headline for the page", None):
        page = compose_article_html(title=title, text=text, published=printed)
        assert extract_article(page, "https://a.example/news/1").published_at == expected


# Hand-written pages for the rules below, each saying it is composed for this test.
COMPOSED = "<!-- composed for tests/test_pages.py: not a site's markup -->"


def composed_page(head: str = "", body: str = "") -> bytes:
    text = "<p>" + "Suzhou Industrial Park signed 85 projects worth 30 billion yuan. " * 4 + "</p>"
    return (
        f"<!DOCTYPE html><html><head>{COMPOSED}{head}</head><body>{body}{text}</body></html>"
    ).encode()


def test_a_day_in_the_url_beats_a_photo_captions_date() -> None:
    caption = (
        "<figure><img src='a.jpg'><figcaption>A photo taken on May 16, 2024 shows the new plant"
        " of the park in Suzhou, Jiangsu province.</figcaption></figure>"
    )
    page = composed_page("<title>Park plant opens</title>", f"<h1>Park plant opens</h1>{caption}")
    url = "https://www.chinadaily.com.cn/a/202405/20/WS664af0b2a31082fc043c814d.html"
    assert extract_article(page, url).published_at == "2024-05-20T00:00:00+08:00"
    # with no day in the URL, the caption's date is all there is
    assert extract_article(page, "https://a.example/x").published_at == "2024-05-16T00:00:00+08:00"


@pytest.mark.parametrize(
    "declared",
    [
        '<meta property="article:published_time" content="2021-02-30">',
        '<meta name="date" content="2021-13-01">',
        '<meta name="pubdate" content="-2021-01-01">',
    ],
)
def test_an_impossible_declared_date_is_no_date(declared: str) -> None:
    """Issue 15: htmldate fills these in as 2021-02-01 and 2021-01-13; a page that declares an
    impossible date has no date (unless its URL or text gives one)."""
    page = composed_page(f"<title>Park plant opens</title>{declared}", "<h1>Park plant opens</h1>")
    assert extract_article(page, "https://a.example/news/x.html").published_at is None
    with_url = extract_article(page, "https://a.example/2021-03/04/x.html").published_at
    assert with_url == "2021-03-04T00:00:00+08:00"


def test_a_time_element_with_an_impossible_day_is_no_date() -> None:
    page = composed_page("<title>Park plant opens</title>", '<time datetime="2021-02-30">x</time>')
    assert extract_article(page, "https://a.example/news/x.html").published_at is None


def test_a_title_from_the_title_element_when_nothing_else_names_it() -> None:
    for raw in (
        "Suzhou park signs 85 projects - Chinadaily.com.cn",
        "苏州工业园区签约85个项目_新民晚报",
    ):
        page = composed_page(f"<title>{raw}</title>")
        assert (
            extract_article(page, "https://a.example/x").title == raw.split(" - ")[0].split("_")[0]
        )


def test_a_cms_property_comment_gives_title_date_and_author() -> None:
    record = next(r for r in SOURCES if r["file"].startswith("china.org.cn/"))
    article = extract(record)  # an article fragment: no <head>, no <h1>
    assert article.title == "Hoax school shootings in US traumatizing students"
    assert article.author == "Mitchell Blatt"
    assert article.published_at == "2022-10-21T09:44:58+08:00"


@pytest.mark.parametrize(
    ("file", "paragraph"),
    [
        # Xinhua English: the lead paragraph the page prints again under two photos
        (
            "english.news.cn/xinhua-en-20230115-98a3b5c4-en.html",
            "After nearly three years of service suspension due to the COVID-19 pandemic, the Hong"
            " Kong section of the Guangzhou-Shenzhen-Hong Kong Express Rail Link resumed operation"
            " Sunday, with an average of 38.5 pairs of high-speed trains on a daily basis running"
            " from stations in Guangzhou and Shenzhen to the Hong Kong West Kowloon Station at the"
            " initial stage.",
        ),
        # China Daily: the photo caption in a <figure>
        (
            "chinadaily/chinadaily-WS664af0b2-nanmu-2024-en.html",
            "A photo taken on May 16 shows golden nanmu trees in the Nanmu Bay scenic spot of"
            " Youyang county, Chongqing. [Photo by Su Zhigang/For chinadaily.com.cn]",
        ),
    ],
)
def test_text_trafilatura_leaves_out_is_in_the_body(file: str, paragraph: str) -> None:
    """Issue 9: these two pages kept 61 % and 77 % of their text."""
    record = next(r for r in SOURCES if r["file"] == file)
    article = extract(record)
    assert paragraph in article.body.split("\n\n")
    recall, _ = overlap(expected_text(record), article.body, dedup=False)
    assert recall > 0.99


# --- input handling --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (b"", None, "empty"),
        (b"   \n ", None, "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", None, "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", None, "JPEG"),
        (b"<html>\x00\x00\x00\x01\x02</html>", None, "NUL"),
        (b"<html><body><p>text</p></body></html>", {"Content-Type": "application/pdf"}, "pdf"),
        (b"<html><head><title>t</title></head><body></body></html>", None, "no body text"),
    ],
)
def test_not_an_article(body: bytes, headers: dict | None, reason: str) -> None:
    with pytest.raises(NotAnArticle, match=reason):
        extract_article(body, "https://a.example/", headers)


def test_scrapy_headers_and_from_response() -> None:
    from scrapy.http import HtmlResponse

    record = next(r for r in SOURCES if r["file"].startswith("qq.com/"))
    response = HtmlResponse(
        url="https://tech.qq.com/a/20161014/002437.htm",
        body=page_bytes(record),
        headers={"Content-Type": "text/html; charset=gb2312"},  # the lie, as served
    )
    article = ArticlePage.from_response(response).to_article()
    assert article.encoding == "utf-8"
    assert article.title == "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶"


def test_selectors_are_used_first() -> None:
    record = next(r for r in SOURCES if r["file"].startswith("en.people.cn/"))
    raw = page_bytes(record)
    article = extract_article(
        raw,
        page_url(record),
        selectors={"title": "h1", "body": "p", "published": ".origin span"},
        date_format="%H:%M, %B %d, %Y",
    )
    assert article.title == "Monitoring system aids wild animal protection efforts in NE China"
    assert article.body.startswith("Since it was established in October 2021")
    assert article.published_at == "2022-11-23T11:35:00+08:00"
    with pytest.raises(ValueError, match="unknown selector"):
        extract_article(raw, page_url(record), selectors={"headline": "h1"})


@pytest.mark.parametrize(
    ("raw", "hints", "clean"),
    [
        (
            "2024年4月全国CPI同比上涨0.3% 食品价格下降2.7%_数据_宏观频道首页_财经网 - CAIJING.COM.CN",
            [],
            "2024年4月全国CPI同比上涨0.3% 食品价格下降2.7%",
        ),
        (
            "Youngsters becoming more fitness-conscious - Chinadaily.com.cn",
            [],
            "Youngsters becoming more fitness-conscious",
        ),
        (
            "女儿出嫁，郑板桥画了几笔兰花当嫁妆--文化--人民网",
            [],
            "女儿出嫁，郑板桥画了几笔兰花当嫁妆",
        ),
        (
            "HK section of Guangzhou-Shenzhen-HK Express Rail Link resumes",
            [],
            "HK section of Guangzhou-Shenzhen-HK Express Rail Link resumes",
        ),
        (
            "新华视界｜河北遵化：数字农机服务助力农业生产-新华网河北频道-新华网",
            ["新华视界｜河北遵化：数字农机服务助力农业生产"],
            "新华视界｜河北遵化：数字农机服务助力农业生产",
        ),
        ("Suzhou's output rises | Suzhou Daily", [], "Suzhou's output rises"),
    ],
)
def test_clean_title(raw: str, hints: list[str], clean: str) -> None:
    assert clean_title(raw, hints) == clean


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        (
            "HTTPS://WWW.Example.com/a/b.html?utm_source=x&id=3#top",
            "https://www.example.com/a/b.html?id=3",
        ),
        ("http://example.com", "http://example.com/"),
        ("http://example.com/p?utm_medium=a&utm_campaign=b", "http://example.com/p"),
    ],
)
def test_normalize_url(url: str, normal: str) -> None:
    assert normalize_url(url) == normal


@settings(max_examples=100, deadline=2000)
@given(st.binary(max_size=3000))
def test_odd_bytes_give_an_article_or_a_reason(body: bytes) -> None:
    try:
        article = extract_article(body, "https://a.example/")
    except NotAnArticle as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert article.body


@settings(max_examples=100, deadline=2000)
@given(st.text(max_size=400))
def test_odd_markup_never_crashes(text: str) -> None:
    body = f"<html><head><title>{html.escape(text)}</title></head><body><p>{text}</p></body></html>"
    try:
        article = extract_article(body.encode("utf-8"), "https://a.example/")
    except NotAnArticle:
        return
    assert article.published_at is None or ISO.match(article.published_at)
