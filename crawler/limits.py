"""What one response may cost: its size as downloaded, its size once decompressed, and
how far it may expand. The same limits hold for live downloads and for bodies replayed
from the archive, so a response rejected once is rejected, and counted, the same way
every time the data directory is replayed.

Scrapy's download handler stops live downloads at DOWNLOAD_MAXSIZE; this module adds
the decompression side and applies both to archived bodies. Decompression is streamed
with a cap, so a gzip bomb is stopped at the limit instead of being inflated in full.
Scrapy's HttpCompressionMiddleware caps the size too but not the ratio, counts nothing,
and keeps its decoders private; the codecs here are the same libraries (zlib, brotli,
zstd) it uses.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

import brotli
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings

from crawler.outcomes import dropped

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

# Bodies that decompress to less than this are never held to the ratio: a small page of
# repeated markup may compress 200:1 and is no threat to memory.
RATIO_FLOOR = 1024 * 1024
# Output is produced at most this much at a time, whatever the cap.
_STEP = 1024 * 1024


class BodyRejected(Exception):
    """A body over a limit, or announced as compressed and undecodable.

    `kind` is its error kind in the crawl stats (`yrd/errors/<kind>`).
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class BodyLimits:
    """`max_size` bounds a body as downloaded and as decompressed (DOWNLOAD_MAXSIZE);
    `max_ratio` bounds decompressed / compressed (YRD_MAX_DECOMPRESSION_RATIO). 0 = none."""

    max_size: int = 0
    max_ratio: float = 0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        return cls(
            max_size=settings.getint("DOWNLOAD_MAXSIZE"),
            max_ratio=settings.getfloat("YRD_MAX_DECOMPRESSION_RATIO"),
        )

    def check_size(self, size: int) -> None:
        if self.max_size and size > self.max_size:
            raise BodyRejected(
                "size_limit", f"{size} bytes, over DOWNLOAD_MAXSIZE ({self.max_size})"
            )

    def decompressed_cap(self, compressed_size: int) -> tuple[int, str]:
        """The most a body of this compressed size may inflate to, and which limit says so."""
        caps = []
        if self.max_size:
            caps.append((self.max_size, f"DOWNLOAD_MAXSIZE ({self.max_size})"))
        if self.max_ratio:
            ratio_cap = max(int(self.max_ratio * compressed_size), RATIO_FLOOR)
            caps.append(
                (ratio_cap, f"{self.max_ratio:g} times its size (YRD_MAX_DECOMPRESSION_RATIO)")
            )
        return min(caps, default=(sys.maxsize, "no limit"))


class _CapExceeded(Exception):
    pass


def _check(out: bytearray, cap: int) -> None:
    if len(out) > cap:
        raise _CapExceeded


def _inflate(data: bytes, cap: int, out: bytearray, wbits: int) -> None:
    """zlib or gzip data inflated into `out`, at most `cap` bytes; gzip members may
    follow each other."""
    pending = data
    while True:
        inflater = zlib.decompressobj(wbits)
        while not inflater.eof:
            piece = inflater.decompress(pending, min(_STEP, cap + 1 - len(out)))
            out += piece
            _check(out, cap)
            pending = inflater.unconsumed_tail
            if not pending and not piece:
                return  # input used up before the end: keep what came out, as browsers do
        if wbits != 31 or not inflater.unused_data:
            return
        pending = inflater.unused_data


def _gunzip(data: bytes, cap: int, out: bytearray) -> None:
    _inflate(data, cap, out, 31)


def _deflate(data: bytes, cap: int, out: bytearray) -> None:
    try:
        _inflate(data, cap, out, 15)
    except zlib.error:
        if out:
            raise
        _inflate(data, cap, out, -15)  # raw deflate without the zlib wrapper, as some servers send


def _unbrotli(data: bytes, cap: int, out: bytearray) -> None:
    decompressor = brotli.Decompressor()
    out += decompressor.process(data, output_buffer_limit=min(_STEP, cap + 1))
    while not decompressor.is_finished():
        _check(out, cap)
        piece = decompressor.process(b"", output_buffer_limit=min(_STEP, cap + 1 - len(out)))
        if not piece:
            return  # truncated
        out += piece
    _check(out, cap)


def _unzstd(data: bytes, cap: int, out: bytearray) -> None:
    decompressor = zstd.ZstdDecompressor()
    out += decompressor.decompress(data, max_length=min(_STEP, cap + 1))
    while not (decompressor.eof or decompressor.needs_input):
        _check(out, cap)
        out += decompressor.decompress(b"", max_length=min(_STEP, cap + 1 - len(out)))
    _check(out, cap)


_Decoder = Callable[[bytes, int, bytearray], None]
_DECODERS: dict[str, tuple[_Decoder, type[Exception]]] = {
    "gzip": (_gunzip, zlib.error),
    "x-gzip": (_gunzip, zlib.error),
    "deflate": (_deflate, zlib.error),
    "br": (_unbrotli, brotli.error),
    "zstd": (_unzstd, zstd.ZstdError),
}
ACCEPT_ENCODING = "gzip, deflate, br, zstd"


def split_encodings(values: Iterable[str | bytes]) -> list[str]:
    """Content-Encoding header values as a list of codings, in the order applied."""
    codings = []
    for value in values:
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        codings.extend(c.strip().lower() for c in text.split(","))
    return [c for c in codings if c and c != "identity"]


def decode_body(body: bytes, encodings: list[str], limits: BodyLimits) -> tuple[bytes, list[str]]:
    """The body with its content codings undone (last applied first), within the limits,
    and the codings left because they are unknown. Raises BodyRejected."""
    cap, limit = limits.decompressed_cap(len(body))
    left = list(encodings)
    while left and left[-1] in _DECODERS:
        coding = left.pop()
        decoder, failure = _DECODERS[coding]
        out = bytearray()
        try:
            decoder(body, cap, out)
        except _CapExceeded:
            raise BodyRejected(
                "decompression_limit",
                f"{len(body)} bytes of {coding} inflate past {limit}; stopped at {len(out)}",
            ) from None
        except failure as exc:
            # Damaged after some output: that output is kept, as browsers show it.
            if not out:
                raise BodyRejected("bad_encoding", f"not valid {coding} ({exc})") from exc
        body = bytes(out)
    return body, left


class DecompressionMiddleware:
    """Undoes Content-Encoding within the body limits (replacing Scrapy's
    HttpCompressionMiddleware); a body over them is dropped and counted by kind.

    It runs after the archive has recorded the response, so the archive holds the bytes
    as sent and a replay meets a rejected bomb again.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.limits = BodyLimits.from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        request.headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)

    def process_response(self, request: Request, response: Response) -> Response:
        encodings = split_encodings(response.headers.getlist("Content-Encoding"))
        if request.method == "HEAD" or not encodings:
            return response
        try:
            body, left = decode_body(response.body, encodings, self.limits)
        except BodyRejected as exc:
            raise dropped(self.stats, exc.kind, response.url, exc.reason) from exc
        if left == encodings:
            return response
        headers = response.headers.copy()
        if left:
            headers["Content-Encoding"] = ", ".join(left)
        else:
            del headers["Content-Encoding"]
        cls = responsetypes.from_args(headers=headers, url=response.url, body=body)
        changes: dict[str, Any] = {"cls": cls, "body": body, "headers": headers}
        if issubclass(cls, TextResponse):
            changes["encoding"] = None  # decide again from the decoded bytes
        return response.replace(**changes)
