"""What a body really is, and the limits on hostile pages (crawler/sniff.py via the page object).

The hostile inputs are generated here; the assertions are bounds on work done (no parse, no
trafilatura run), never wall-clock times.
"""

from __future__ import annotations

import codecs
import random

import lxml.html
import pytest
import trafilatura

from crawler import pages
from crawler.pages import NotAnArticle, extract_article
from crawler.sniff import MAX_DEPTH, MAX_ELEMENTS, MAX_HTML_BYTES
from fixtures.pages import page_bytes, page_url, record, records

TEXT = "<p>" + "Suzhou Industrial Park signed 85 projects worth 30 billion yuan. " * 5 + "</p>"
PAGE = f"<html><head><title>A headline</title></head><body>{TEXT}</body></html>".encode()
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"code": 0, "data": {"title": "x", "content": "<p>text</p>"}}', "json"),
        (b'  \n[{"id": 1}, {"id": 2}]', "json"),
        (codecs.BOM_UTF8 + b'{"a": 1}', "json"),
        (b'{"cut off": "in the midd', "json"),  # truncated JSON is no page either
        (b"[1, 2, 3", "json"),
        (b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel/></rss>', "xml"),
        (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url/></urlset>', "xml"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>', "xml"),
        (b'<?xml version="1.0"?><!-- a note --><data><item>1</item></data>', "xml"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "image"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image"),
        (b"GIF89a\x01\x00\x01\x00", "image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image"),
        (b"II*\x00\x08\x00\x00\x00", "image"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00", "image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
        (b"\r\n  %PDF-1.4 after blank lines", "pdf"),
        (b"PK\x03\x04\x14\x00\x06\x00", "binary_content"),
        (b"\x1f\x8b\x08\x00\x00\x00", "binary_content"),
        (b"", "empty_body"),
    ],
)
def test_a_body_that_is_not_html_is_no_article_whatever_the_content_type(
    body: bytes, reason: str
) -> None:
    with pytest.raises(NotAnArticle) as error:
        extract_article(body, "https://a.example/news/1.html", HTML)
    assert error.value.reason == reason
    assert str(error.value).startswith(reason) and "\n" not in str(error.value)


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_random_bytes_behind_a_utf16_mark_are_no_article_but_utf16_pages_are(bom: bytes) -> None:
    noise = random.Random(bom).randbytes(20_000)
    with pytest.raises(NotAnArticle) as error:
        extract_article(bom + noise, "https://a.example/news/1.html", HTML)
    assert error.value.reason == "binary_content"
    codec = "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be"
    # A real page in UTF-16, with a few private-use characters (rare names some sites type so).
    page = PAGE.decode().replace("85 projects", "85 projects \ue000\ue001")
    article = extract_article(bom + page.encode(codec), "https://a.example/news/1.html", HTML)
    assert "85 projects" in article.body


@pytest.mark.parametrize(
    "body",
    [
        # XHTML: XML declaration and doctype, then <html>
        b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0'
        b' Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html'
        b' xmlns="http://www.w3.org/1999/xhtml"><head><title>A headline</title></head><body>'
        + TEXT.encode()
        + b"</body></html>",
        # an article fragment, as several real fixtures are
        b"<div id='detailContent'>" + TEXT.encode() + b"</div>",
        # JSON-looking text inside a page is no JSON document
        b'<!DOCTYPE html><html><body><pre>{"a": 1}</pre>' + TEXT.encode() + b"</body></html>",
    ],
)
def test_xhtml_and_fragments_are_pages(body: bytes) -> None:
    assert "85 projects" in extract_article(body, "https://a.example/news/1.html", HTML).body


def test_the_real_pages_all_pass_the_sniffing() -> None:
    # the XHTML-declared and fragment pages among the real fixtures are articles
    for file in (
        "en.people.cn/en-people-c90000-10175286-en.html",
        "english.news.cn/xinhua-en-20230115-98a3b5c4-en.html",
    ):
        rec = record(file)
        assert extract_article(page_bytes(rec), page_url(rec)).body


class Calls:
    """Counts calls of the functions the limits must spare."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parses = self.extractions = 0
        parse, extract = pages.parse_html, trafilatura.bare_extraction

        def counted_parse(*args: object, **kwargs: object) -> object:
            self.parses += 1
            return parse(*args, **kwargs)

        def counted_extract(*args: object, **kwargs: object) -> object:
            self.extractions += 1
            return extract(*args, **kwargs)

        monkeypatch.setattr(pages, "parse_html", counted_parse)
        monkeypatch.setattr(pages.trafilatura, "bare_extraction", counted_extract)


def test_a_huge_page_is_rejected_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Calls(monkeypatch)
    huge = PAGE.replace(b"</body>", b"<p>" + b"x" * MAX_HTML_BYTES + b"</p></body>")
    with pytest.raises(NotAnArticle) as error:
        extract_article(huge, "https://a.example/huge.html", HTML)
    assert error.value.reason == "too_large"
    assert calls.parses == 0 and calls.extractions == 0


def test_the_byte_limit_is_a_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Calls(monkeypatch)
    assert extract_article(PAGE, "https://a.example/1", HTML, max_bytes=len(PAGE)).body
    with pytest.raises(NotAnArticle, match="too_large"):
        extract_article(PAGE, "https://a.example/1", HTML, max_bytes=len(PAGE) - 1)
    assert calls.parses == 1


@pytest.mark.parametrize(
    ("filler", "reason"),
    [
        ("<span>x</span>" * (MAX_ELEMENTS + 1), "too_many_elements"),
        ("<div>" * (MAX_DEPTH + 10) + "deep text" + "</div>" * (MAX_DEPTH + 10), "too_deep"),
        # deeper than libxml2 nests (it drops what is below 256 levels): still a reason
        ("<span>" * 5000 + "deep text" + "</span>" * 5000, "too_deep"),
    ],
)
def test_a_pathological_tree_is_rejected_before_extraction(
    filler: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(monkeypatch)
    page = f"<html><head><title>t</title></head><body>{TEXT}{filler}</body></html>".encode()
    with pytest.raises(NotAnArticle) as error:
        extract_article(page, "https://a.example/hostile.html", HTML)
    assert error.value.reason == reason
    assert calls.parses == 1 and calls.extractions == 0


def test_tree_limits_are_parameters_with_an_exact_boundary() -> None:
    tree = lxml.html.document_fromstring(PAGE)
    elements = len(tree.xpath("//*"))
    depth = max(len(list(e.iterancestors())) + 1 for e in tree.iter())
    assert extract_article(PAGE, "https://a.example/1", HTML, max_elements=elements).body
    assert extract_article(PAGE, "https://a.example/1", HTML, max_depth=depth).body
    with pytest.raises(NotAnArticle, match="too_many_elements"):
        extract_article(PAGE, "https://a.example/1", HTML, max_elements=elements - 1)
    with pytest.raises(NotAnArticle, match="too_deep"):
        extract_article(PAGE, "https://a.example/1", HTML, max_depth=depth - 1)


def test_every_real_page_is_within_the_limits_by_a_wide_margin() -> None:
    for rec in records():
        raw = page_bytes(rec)
        tree = lxml.html.document_fromstring(raw)
        assert len(raw) * 5 < MAX_HTML_BYTES
        assert len(tree.xpath("//*")) * 10 < MAX_ELEMENTS
        assert max(len(list(e.iterancestors())) for e in tree.iter()) * 5 < MAX_DEPTH
