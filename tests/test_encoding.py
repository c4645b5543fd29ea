"""Bytes -> text for every real page, and the declared-charset traps (crawler/encoding.py)."""

from __future__ import annotations

import codecs
import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.encoding import charset_from_content_type, charset_from_meta, decode_html
from fixtures.pages import PAGES, page_bytes, records

SOURCES = list(records())

# Latin-1/cp1252 readings of UTF-8 Chinese start with these; real Chinese text never does.
MOJIBAKE = ("锟斤拷", "Ã", "å", "ä¸", "è¿")


@pytest.mark.parametrize("record", SOURCES, ids=lambda r: r["file"])
def test_real_pages_decode_without_mojibake(record: dict) -> None:
    raw = page_bytes(record)
    text, codec = decode_html(raw, None)
    assert codec == record["actual_encoding"].split()[0]
    # U+FFFD only where the stored bytes themselves carry it (EF BF BD in the fixture)
    assert text.count("\ufffd") == raw.count(b"\xef\xbf\xbd")
    if record["file"].endswith("-zh.html") or "-zh-" in record["file"]:
        for artefact in MOJIBAKE:
            assert artefact not in text, artefact
        assert record["title"][:8] in html.unescape(text)  # qdaily writes &#x...; escapes


def test_the_genuine_gb2312_page_reads_as_gb18030() -> None:
    raw = (PAGES / "xinhuanet/he-xinhuanet-2012-content_25340717-zh-gb2312.html").read_bytes()
    text, codec = decode_html(raw, "text/html")
    assert codec == "gb18030"
    assert "话剧《约定无期限》河北各市巡演结束" in text


def test_lying_gb2312_declaration_over_utf8_bytes() -> None:
    raw = (PAGES / "qq.com/readability-testpage-qq-zh.html").read_bytes()
    assert charset_from_meta(raw) == "gb2312"
    text, codec = decode_html(raw, "text/html; charset=GB2312")
    assert codec == "utf-8"
    assert "DeepMind新电脑" in text


SAMPLE = "<p>苏州工业园区签约85个项目，总投资超500亿元</p>"


@pytest.mark.parametrize(
    ("body", "content_type", "codec"),
    [
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "text/html; charset=gbk", "utf-8"),
        (codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), None, "utf-16-le"),
        (SAMPLE.encode("gbk"), "text/html; charset=GBK", "gb18030"),
        (SAMPLE.encode("gbk"), "text/html; charset=utf-8", "gb18030"),  # wrong header: recover
        (b'<meta charset="gb2312">' + SAMPLE.encode("gb18030"), None, "gb18030"),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=GBK">'
            + SAMPLE.encode("gbk"),
            None,
            "gb18030",
        ),
        (b'<meta charset="gb2312">' + SAMPLE.encode("utf-8"), None, "utf-8"),
        (b'<meta charset="iso-8859-1">' + SAMPLE.encode("utf-8"), None, "utf-8"),
        (SAMPLE.encode("utf-8"), None, "utf-8"),
        (
            ("<p>" + "苏州工业园区的制造业投资继续增长。" * 20 + "</p>").encode("gb18030"),
            None,
            "gb18030",
        ),
        (b"<p>plain ascii</p>", None, "utf-8"),
        ("<p>Café société</p>".encode("cp1252"), "text/html; charset=windows-1252", "cp1252"),
    ],
)
def test_decode_order(body: bytes, content_type: str | None, codec: str) -> None:
    text, used = decode_html(body, content_type)
    assert used == codec
    assert "\ufffd" not in text
    if "苏州" in SAMPLE and codec != "cp1252" and b"ascii" not in body:
        assert "苏州" in text


def test_script_charset_attributes_are_not_declarations() -> None:
    body = b'<script charset="utf-8" src="x.js"></script><meta charset="gbk">'
    assert charset_from_meta(body) == "gbk"


@pytest.mark.parametrize(
    ("header", "codec"),
    [
        ("text/html; charset=UTF-8", "utf-8"),
        (b'text/html;charset="gb2312"', "gb2312"),
        ("text/html", None),
        ("text/html; charset=no-such-codec", None),
        (None, None),
    ],
)
def test_charset_from_content_type(header: str | bytes | None, codec: str | None) -> None:
    assert charset_from_content_type(header) == codec


@settings(max_examples=200, deadline=1000)
@given(
    st.binary(max_size=2000),
    st.sampled_from(
        [None, "text/html; charset=gbk", "text/html; charset=utf-8", "text/html; charset=bogus"]
    ),
)
def test_decode_never_raises(body: bytes, content_type: str | None) -> None:
    text, codec = decode_html(body, content_type)
    assert isinstance(text, str) and codecs.lookup(codec)
