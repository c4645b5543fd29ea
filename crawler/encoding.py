"""Bytes -> text for HTML pages whose declared charset cannot always be trusted.

Order: byte-order mark, HTTP ``Content-Type`` charset, ``<meta>`` charset, then detection.
A declared legacy charset (GB2312/GBK, Latin-1, ASCII) loses to UTF-8 when the bytes are
valid UTF-8 and contain non-ASCII: pages re-saved as UTF-8 keep their old ``<meta>``, and a
legacy multi-byte text is practically never valid UTF-8 by chance. GB* is decoded as
gb18030, the superset that also covers characters GB2312 lacks.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

__all__ = ["decode_html", "charset_from_content_type", "charset_from_meta"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Codecs whose declaration is overruled by bytes that are valid, non-ASCII UTF-8.
_LEGACY = {"gb2312", "gbk", "gb18030", "hz", "cp1252", "ascii", "iso8859-15"}
_GB = {"gb2312", "gbk", "gb18030", "hz"}

_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META = re.compile(rb"<meta\b[^>]*>", re.I)
_META_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_HEAD_LIMIT = 32_768  # where a <meta> charset may reasonably sit (wayback banners push it down)


def _codec(label: str | bytes | None) -> str | None:
    """Python's canonical codec name for a charset label, or None when unknown."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().strip("\"'").lower()
    if label in {"x-gbk", "cp936", "windows-936"}:
        label = "gbk"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in {"utf-16", "utf-32"}:  # a declared UTF-16 in an 8-bit page is a lie (WHATWG)
        return "utf-8"
    if name in {"latin-1", "iso8859-1"}:  # browsers read Latin-1 labels as windows-1252
        return "cp1252"
    return name


def charset_from_content_type(content_type: str | bytes | None) -> str | None:
    """Codec named by an HTTP Content-Type header value, if any."""
    if not content_type:
        return None
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    match = _CT_CHARSET.search(content_type)
    return _codec(match.group(1)) if match else None


def charset_from_meta(body: bytes) -> str | None:
    """Codec named by the first ``<meta charset>`` / ``http-equiv`` tag near the top."""
    for tag in _META.finditer(body[:_HEAD_LIMIT]):
        match = _META_CHARSET.search(tag.group(0))
        if match:
            codec = _codec(match.group(1))
            if codec:
                return codec
    return None


def _is_utf8_text(body: bytes) -> bool:
    """True when the bytes are valid UTF-8 and not plain ASCII."""
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(body: bytes) -> str:
    if body.isascii() or _is_utf8_text(body):
        return "utf-8"
    best = charset_normalizer.from_bytes(body).best()
    codec = _codec(best.encoding) if best else None
    if codec in _GB:
        return "gb18030"
    return codec or "utf-8"


def decode_html(body: bytes, content_type: str | bytes | None = None) -> tuple[str, str]:
    """Decode a page; returns ``(text, codec)`` with the codec actually used.

    Never raises: undecodable bytes become U+FFFD under the chosen codec.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, "replace"), codec
    declared = charset_from_content_type(content_type) or charset_from_meta(body)
    if declared is None:
        codec = _detect(body)
    elif declared in _LEGACY and _is_utf8_text(body):
        codec = "utf-8"
    elif declared in _GB:
        codec = "gb18030"
    else:
        codec = declared
    try:
        return body.decode(codec), codec
    except UnicodeDecodeError:
        pass
    # The declaration is wrong (e.g. a GBK page served as UTF-8): trust the bytes instead.
    detected = _detect(body)
    try:
        return body.decode(detected), detected
    except UnicodeDecodeError:
        return body.decode(codec, "replace"), codec
