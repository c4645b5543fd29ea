"""What a response body really is, whatever its Content-Type says, and whether it is too big.

Servers label JSON APIs, feeds, images and PDFs as ``text/html`` (and HTML as
``application/octet-stream``), so the page object looks at the bytes before parsing them.
Each rejection is a `NotAnArticle` whose ``reason`` is a short slug the spiders count
(``yrd/dropped/<reason>``): empty_body, too_large, not_html, pdf, image, json, xml,
binary_content, too_many_elements, too_deep (docs/pages.md says when each applies).
"""

from __future__ import annotations

import json
import re

import lxml.html.defs
from lxml import etree

__all__ = [
    "MAX_HTML_BYTES",
    "MAX_ELEMENTS",
    "MAX_DEPTH",
    "NotAnArticle",
    "check_bytes",
    "check_text",
    "check_tree",
]

# A news page is 20 KB to 1 MB (the largest of the 38 real fixtures: 0.7 MB, 1,400 elements,
# depth 17). Beyond these the page is not an article, and trafilatura's time grows with the
# number of elements (a 30 MB page kept it busy for more than ten minutes).
MAX_HTML_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS = 30_000
# libxml2 silently stops nesting at 256 levels and drops what is deeper: reject before that.
MAX_DEPTH = 200


class NotAnArticle(ValueError):
    """The bytes cannot give an article; ``reason`` is a slug, the message one line."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


_NOT_HTML_TYPES = re.compile(
    r"^(?:image|audio|video|font)/|^application/(?:pdf|zip|gzip|x-gzip|msword|vnd\.)"
)
_JSON_TYPES = re.compile(r"^(?:application|text)/(?:[\w.-]+\+)?json$")
_IMAGES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_BINARY: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (office document?)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\xd0\xcf\x11\xe0", "an old MS Office document"),
    (b"RIFF", "a RIFF media file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Characters no page is written in: controls other than whitespace, private-use, lone
# surrogates, undecodable bytes (U+FFFD). Not one is in the first 4,096 characters of any page
# of the corpus and fixtures.
_UNREADABLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\uf8ff\ufffd]")
MAX_UNREADABLE_SHARE = 0.05
_HTML_TAGS = frozenset(lxml.html.defs.tags)
# Markup before the root element: XML declaration, doctype, comments, processing instructions.
_PROLOGUE = re.compile(
    r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>|<!\[CDATA\[.*?\]\]>)", re.S | re.I
)
_ROOT = re.compile(r"\s*<([A-Za-z_][\w.:-]*)")
# Roots that are XML vocabularies even without an XML declaration.
_XML_ROOTS = frozenset({"rss", "feed", "urlset", "sitemapindex", "rdf:rdf", "opml", "kml", "gpx"})


def check_bytes(body: bytes, content_type: str | None, max_bytes: int = MAX_HTML_BYTES) -> None:
    """Raise `NotAnArticle` for bytes that are not an HTML page (before decoding)."""
    if not body or not body.strip():
        raise NotAnArticle("empty_body", "the response has no text")
    if len(body) > max_bytes:
        raise NotAnArticle("too_large", f"{len(body):,} bytes, over the limit of {max_bytes:,}")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if _NOT_HTML_TYPES.match(media):
        raise NotAnArticle("not_html", f"Content-Type is {media}")
    if _JSON_TYPES.match(media):
        raise NotAnArticle("json", f"Content-Type is {media}")
    head = body[:1024].lstrip()
    if head.startswith(b"%PDF") or b"%PDF-" in body[:1024]:
        raise NotAnArticle("pdf", "a PDF document")
    for magic, what in _IMAGES:
        if head.startswith(magic):
            raise NotAnArticle("image", f"a {what} image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise NotAnArticle("image", "a WebP image")
    if head[4:12] in (b"ftypavif", b"ftypheic", b"ftypheix", b"ftypmif1"):
        raise NotAnArticle("image", "an AVIF/HEIC image")
    for magic, what in _BINARY:
        if head.startswith(magic):
            raise NotAnArticle("binary_content", what)
    if b"\x00" in body[:4096] and not body.startswith(_UTF16_BOMS):
        raise NotAnArticle("binary_content", "NUL bytes in the first 4 KiB")


def _looks_like_json(text: str) -> bool:
    if text[:1] not in ("{", "["):
        return False
    try:
        json.loads(text)
    except ValueError:
        # Cut-off or sloppy JSON still is no HTML page: an opening bracket followed by JSON.
        return re.match(r"[{\[]\s*(?:[\"{\[\]}]|-?\d|true|false|null)", text) is not None
    return True


def _root_name(text: str) -> tuple[str | None, bool]:
    """The first element's name (lower case) and whether an XML declaration precedes it."""
    declared = text.startswith("<?xml")
    position = 0
    while True:
        match = _PROLOGUE.match(text, position)
        if match is None or match.end() == position:
            break
        position = match.end()
    root = _ROOT.match(text, position)
    return (root.group(1).lower() if root else None), declared


def check_text(text: str) -> None:
    """Raise `NotAnArticle` for decoded text that is JSON, a non-HTML XML document, or bytes
    that only decoded as text (random bytes behind a UTF-16 byte-order mark decode as CJK and
    Hangul, among which one character in eight is private-use or undecodable)."""
    start = text.lstrip("\ufeff \t\r\n")[:4096]
    if len(_UNREADABLE.findall(start)) > MAX_UNREADABLE_SHARE * len(start):
        raise NotAnArticle("binary_content", "the bytes decode to no readable text")
    if _looks_like_json(start if len(text) > 4096 else text.strip()):
        raise NotAnArticle("json", "a JSON document")
    root, declared = _root_name(start)
    if root is None:
        return
    local = root.split(":")[-1]
    if local == "svg":
        raise NotAnArticle("image", "an SVG image")
    if root in _XML_ROOTS or local in _XML_ROOTS or (declared and local not in _HTML_TAGS):
        raise NotAnArticle("xml", f"an XML document (<{root}>)")


def check_tree(
    root: etree._Element, max_elements: int = MAX_ELEMENTS, max_depth: int = MAX_DEPTH
) -> None:
    """Raise `NotAnArticle` for a parsed page with too many elements or too deep a nesting.

    Both are XPath counts inside libxml2, linear in the size of the tree.
    """
    elements = int(root.xpath("count(//*)"))
    if elements > max_elements:
        raise NotAnArticle(
            "too_many_elements", f"{elements:,} HTML elements, over {max_elements:,}"
        )
    if root.xpath(f"boolean(/{'/'.join(['*'] * (max_depth + 1))})"):
        raise NotAnArticle("too_deep", f"elements nested more than {max_depth} deep")
