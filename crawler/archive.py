"""Web archive of every response (WARC, ISO 28500) and replay of an archive as the
only download source.

Recording and replay are one downloader middleware because they are one concern:
the archive is the crawler's record of the web. Replay is how the demo, the
integration tests and a user re-running a past crawl work without a network.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import socket
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.items import WarcRef
from crawler.limits import BodyLimits, BodyRejected, decode_body, split_encodings
from crawler.outcomes import dropped
from crawler.stats import ERRORS, REPLAY_MISS

logger = logging.getLogger(__name__)

# The body we store is not chunked (Scrapy has de-chunked it) and has a new length; the
# body we replay is, in addition, decompressed (within the crawl's limits).
_WRITE_DROPPED = {"transfer-encoding", "content-length"}
_REPLAY_DROPPED = _WRITE_DROPPED | {"content-encoding"}


class ArchiveError(ValueError):
    """A replay archive that cannot be used (missing, unreadable, not WARC): a user error,
    as the command line reports every ValueError (without importing this module and Scrapy)."""


def url_key(url: str) -> str:
    """The form under which a URL is looked up in an archive (query sorted, no fragment)."""
    return canonicalize_url(url, keep_fragments=False)


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values if isinstance(values, list) else [values]:
            pairs.append((key, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
    return pairs


class WarcRecorder:
    """Appends request/response record pairs to one gzipped WARC file.

    Each record is its own gzip member and is flushed at once, so a crawl killed at any
    moment leaves every earlier record readable.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: BinaryIO = open(path, "ab")  # noqa: SIM115 - open for the recorder's life
        self._writer = WARCWriter(self._file, gzip=True)
        if self._file.tell() == 0:
            info = {"software": "yrd-news", "format": "WARC File Format 1.1"}
            self._write(self._writer.create_warcinfo_record(path.name, info))

    def _write(self, record: Any) -> int:
        offset = self._file.tell()
        self._writer.write_record(record)
        self._file.flush()
        return offset

    def write(
        self,
        url: str,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        *,
        method: str = "GET",
        request_headers: Iterable[tuple[str, str]] = (),
        protocol: str = "HTTP/1.1",
        warc_date: str | None = None,
    ) -> WarcRef:
        """Archive one exchange: the response record, then the request that asked for it."""
        kept = [(k, v) for k, v in headers if k.lower() not in _WRITE_DROPPED]
        kept.append(("Content-Length", str(len(body))))
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        dated = {"WARC-Date": warc_date} if warc_date else {}
        response_record = self._writer.create_warc_record(
            url,
            "response",
            payload=BytesIO(body),
            http_headers=StatusAndHeaders(f"{status} {reason}", kept, protocol=protocol),
            warc_headers_dict=dated,
        )
        offset = self._write(response_record)
        record_id = response_record.rec_headers.get_header("WARC-Record-ID")

        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_record = self._writer.create_warc_record(
            url,
            "request",
            payload=BytesIO(b""),
            http_headers=StatusAndHeaders(
                f"{method} {target} HTTP/1.1",
                [("Host", parts.netloc), *request_headers],
                is_http_request=True,
            ),
            warc_headers_dict={"WARC-Concurrent-To": record_id, **dated},
        )
        self._write(request_record)
        return WarcRef(filename=str(self.path), record_id=record_id, offset=offset)

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class ArchivedResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: str | None
    ref: WarcRef


def warc_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand folders to the WARC files in them; fail clearly on anything else."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.name.endswith((".warc", ".warc.gz")))
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ArchiveError(f"archive not found: {path}")
    if not found:
        raise ArchiveError("no WARC files in " + ", ".join(str(p) for p in paths))
    return found


_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/"
_READ = 1 << 16
_INFLATE_STEP = 1 << 14
_MAX_HEADER = 1 << 16


@dataclass(frozen=True)
class Damage:
    """Bytes of a WARC file that hold no whole record: `offset` is where they start,
    `end` where reading resumed (the file size when no record followed)."""

    path: Path
    offset: int
    end: int
    reason: str


def _gzip_member_end(handle: BinaryIO, start: int) -> int | str:
    """Where the intact gzip member holding a WARC record at `start` ends, or why there
    is none. The member is inflated a little at a time and thrown away: its CRC is the
    check. (16 KiB of deflate data inflate to 16.5 MiB at most.)"""
    handle.seek(start)
    inflater = zlib.decompressobj(31)
    head, position = b"", start
    try:
        while not inflater.eof:
            chunk = handle.read(_INFLATE_STEP)
            if not chunk:
                return "cut short"
            position += len(chunk)
            head += inflater.decompress(chunk)[: len(_WARC_MAGIC) - len(head)]
    except zlib.error as exc:
        return str(exc)
    if head != _WARC_MAGIC:
        return "not a WARC record"
    return position - len(inflater.unused_data)


def _plain_record_end(handle: BinaryIO, start: int) -> int | str:
    """Where the uncompressed WARC record at `start` ends, or why there is none: its
    Content-Length must land on the record's closing blank lines, and its block digest,
    when it has one, must match."""
    handle.seek(start)
    head = handle.read(_MAX_HEADER)
    header_end = head.find(b"\r\n\r\n")
    if not head.startswith(_WARC_MAGIC) or header_end < 0:
        return "no WARC record header"
    fields = {}
    for line in head[:header_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        fields[name.strip().lower()] = value.strip()
    try:
        length = int(fields.get(b"content-length", b""))
    except ValueError:
        return "no Content-Length"
    block_start = start + header_end + 4
    handle.seek(block_start + length)
    if handle.read(4) != b"\r\n\r\n":
        return "record does not end where its Content-Length says"
    algorithm, _, expected = fields.get(b"warc-block-digest", b"").partition(b":")
    if algorithm.lower() == b"sha1":
        digest, remaining = hashlib.sha1(), length
        handle.seek(block_start)
        while remaining > 0:
            chunk = handle.read(min(_READ, remaining))
            if not chunk:
                return "cut short"
            digest.update(chunk)
            remaining -= len(chunk)
        if base64.b32encode(digest.digest()) != expected.upper():
            return "block digest mismatch"
    return block_start + length + 4


def _find(handle: BinaryIO, needle: bytes, start: int) -> int | None:
    """The offset of the next `needle` at or after `start`."""
    position = start
    handle.seek(position)
    carry = b""
    while chunk := handle.read(_READ):
        window = carry + chunk
        found = window.find(needle)
        if found >= 0:
            return position - len(carry) + found
        carry = window[-(len(needle) - 1) :]
        position += len(chunk)
    return None


def scan_records(path: Path) -> Iterator[tuple[int, int] | Damage]:
    """(start, end) of every whole record of one WARC file, and a Damage for each run of
    bytes between them that holds none.

    Reading resynchronises after damage, on the next gzip member of a .warc.gz (one
    record per member, as WARC writers do) or the next record of a .warc, so one bad
    byte costs one record, and a file cut short (a writer killed mid-record) keeps every
    record before the cut.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(len(_WARC_MAGIC))
        gzipped = head[:2] == _GZIP_MAGIC[:2] or (
            path.name.endswith(".gz") and not head.startswith(_WARC_MAGIC)
        )
        record_end, magic = (
            (_gzip_member_end, _GZIP_MAGIC) if gzipped else (_plain_record_end, _WARC_MAGIC)
        )
        offset, damaged = 0, None
        while offset < size:
            end_or_reason = record_end(handle, offset)
            if isinstance(end_or_reason, int):
                if damaged:
                    yield Damage(path, damaged[0], offset, damaged[1])
                    damaged = None
                yield offset, end_or_reason
                offset = end_or_reason
                continue
            damaged = damaged or (offset, end_or_reason)
            resume = _find(handle, magic, offset + 1)
            if resume is None:
                yield Damage(path, damaged[0], size, damaged[1])
                return
            offset = resume


def _starts_like_warc(path: Path) -> bool:
    """Whether a file with no whole record is a WARC file cut short rather than something
    else: its first bytes are (a prefix of) a WARC record, gzipped or not."""
    with open(path, "rb") as handle:
        head = handle.read(_READ)
    if head[:2] == _GZIP_MAGIC[: len(head[:2])]:
        try:
            head = zlib.decompressobj(31).decompress(head, len(_WARC_MAGIC))
        except zlib.error:
            return False
    return head[: len(_WARC_MAGIC)] == _WARC_MAGIC[: len(head)]


def iter_responses(path: Path, damage: list[Damage]) -> Iterator[tuple[Any, int]]:
    """(record, offset) for every whole HTTP response record of one WARC file; the damage
    found on the way is logged and added to `damage`.

    A file with no whole record that does not even start like a WARC file is an
    ArchiveError; an empty one, or one cut short inside its first record, is no error.
    """
    whole = 0
    with open(path, "rb") as handle:
        for found in scan_records(path):
            if not isinstance(found, Damage):
                handle.seek(found[0])
                try:
                    record = next(iter(ArchiveIterator(handle)))
                except Exception as exc:  # warcio raises bare Exceptions on bad headers
                    found = Damage(path, *found, f"unreadable record header: {exc}")
            if isinstance(found, Damage):
                damage.append(found)
                logger.warning(
                    "%s: no whole WARC record in bytes %d-%d (%s); skipped",
                    path,
                    found.offset,
                    found.end,
                    found.reason,
                )
                continue
            whole += 1
            if record.rec_type == "response" and record.http_headers is not None:
                yield record, found[0]
    if not whole and path.stat().st_size and not _starts_like_warc(path):
        raise ArchiveError(
            f"{path}: not a readable WARC file (it does not start with a WARC record)"
        )


class ReplayArchive:
    """Index of WARC files by URL, answering lookups by seeking to the record.

    The index holds offsets, not bodies, so a large archive costs little memory.
    When a URL was archived several times, the last record wins. Damaged records are
    skipped, listed in `damage`, and counted by the first crawl that opens the archive.
    """

    def __init__(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        self._index: dict[str, tuple[Path, int]] = {}
        self.damage: list[Damage] = []
        for path in warc_files(paths):
            for record, offset in iter_responses(path, self.damage):
                url = record.rec_headers.get_header("WARC-Target-URI")
                # A 304 (a conditional request of a live crawl) says an earlier record holds.
                if url and record.http_headers.get_statuscode() != "304":
                    self._index[url_key(url)] = (path, offset)
        self._uncounted = list(self.damage)

    def __len__(self) -> int:
        return len(self._index)

    def urls(self) -> list[str]:
        return list(self._index)

    def take_uncounted_damage(self) -> list[Damage]:
        """The damage no crawl has counted yet; several spiders share one archive, and
        the run that folds their stats must count each damaged record once."""
        taken, self._uncounted = self._uncounted, []
        return taken

    def get(self, url: str, limits: BodyLimits | None = None) -> ArchivedResponse | None:
        """The archived response, its body decoded as a live download's would be.

        With `limits`, a body over them raises BodyRejected: its size is checked before
        it is read, and decompression stops at the cap.
        """
        location = self._index.get(url_key(url))
        return read_response(*location, limits=limits) if location else None


def read_response(
    path: str | os.PathLike[str], offset: int, limits: BodyLimits | None = None
) -> ArchivedResponse:
    """The HTTP response record at `offset` of a WARC file, its body decoded as a live
    download's would be. With `limits`, a body over them raises BodyRejected: its size is
    checked before it is read, and decompression stops at the cap."""
    path = Path(path)
    limits = limits or BodyLimits()
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            record = next(iter(ArchiveIterator(handle)), None)
            if record is None or record.rec_type != "response" or record.http_headers is None:
                raise ArchiveError(f"{path}: no response record at offset {offset}")
            http = record.http_headers
            limits.check_size(record.payload_length)
            raw = record.raw_stream.read(limits.max_size + 1 if limits.max_size else None)
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read the archive ({exc.strerror or exc})") from exc
    except (ArchiveError, BodyRejected):
        raise
    except Exception as exc:  # warcio raises bare Exceptions on damaged members
        raise ArchiveError(f"{path}: damaged record at offset {offset} ({exc})") from exc
    limits.check_size(len(raw))
    if (http.get_header("Transfer-Encoding") or "").lower() == "chunked":
        raw = ChunkedDataReader(BytesIO(raw)).read()
    body, left = decode_body(
        raw,
        split_encodings(v for k, v in http.headers if k.lower() == "content-encoding"),
        limits,
    )
    headers = [(k, v) for k, v in http.headers if k.lower() not in _REPLAY_DROPPED]
    if left:
        headers.append(("Content-Encoding", ", ".join(left)))
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode()),
        headers=headers,
        body=body,
        fetched_at=record.rec_headers.get_header("WARC-Date"),
        ref=WarcRef(
            filename=str(path),
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            offset=offset,
        ),
    )


@cache
def open_replay(paths: tuple[str, ...]) -> ReplayArchive:
    """One index per archive per process, however many spiders replay it."""
    return ReplayArchive(paths)


class ArchiveMiddleware:
    """Writes every downloaded response to WARC, or, with YRD_REPLAY set, answers every
    request from the archive and never touches the network.

    The WARC reference of the response lands in `request.meta["yrd_warc"]` so the
    article built from it can point back to its raw bytes.
    """

    def __init__(self, crawler: Crawler, replay: ReplayArchive | None, warc_dir: Path) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.replay = replay
        self.warc_dir = warc_dir
        self.recorder: WarcRecorder | None = None
        # The limits of a live download, so a replay rejects what a live crawl would.
        self.limits = BodyLimits.from_settings(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        replay_paths = settings.getlist("YRD_REPLAY")
        replay = open_replay(tuple(replay_paths)) if replay_paths else None
        warc_dir = Path(settings.get("YRD_DATA_DIR", "data")) / "warc"
        middleware = cls(crawler, replay, warc_dir)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        if replay is not None:
            logger.info(
                "Replaying %d archived responses from %s", len(replay), ", ".join(replay_paths)
            )
        return middleware

    def process_request(self, request: Request) -> Response | None:
        if self.replay is None:
            return None
        try:
            archived = self.replay.get(request.url, self.limits)
        except BodyRejected as exc:
            raise dropped(self.stats, exc.kind, request.url, exc.reason) from exc
        if archived is None:
            self.stats.inc_value(REPLAY_MISS)
            raise dropped(self.stats, "replay_miss", request.url, "not in the archive, skipped")
        self.stats.inc_value("yrd/replay/hit")
        request.meta["yrd_warc"] = archived.ref
        request.meta["yrd_fetched_at"] = archived.fetched_at
        # Scrapy's Headers, as a live download has them: the response type is then known from
        # Content-Type, as it is live, without a guess from the URL or a scan of the body.
        headers = Headers(archived.headers)
        response_class = responsetypes.from_args(
            headers=headers, url=request.url, body=archived.body
        )
        return response_class(
            url=request.url,
            status=archived.status,
            headers=headers,
            body=archived.body,
            flags=["replay"],
            request=request,
        )

    def process_response(self, request: Request, response: Response) -> Response:
        if self.replay is not None or "replay" in response.flags or "cached" in response.flags:
            return response
        if self.recorder is None:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            name = self.crawler.spider.name if self.crawler.spider else "crawl"
            # Host and process in the name: crawlers running side by side never share a file.
            unique = f"{socket.gethostname()}-{os.getpid()}"
            self.recorder = WarcRecorder(self.warc_dir / f"{name}-{stamp}-{unique}.warc.gz")
        request.meta["yrd_warc"] = self.recorder.write(
            response.url,
            response.status,
            _header_pairs(response.headers),
            response.body,
            method=request.method,
            request_headers=[
                (k, v) for k, v in _header_pairs(request.headers) if k.lower() != "host"
            ],
            protocol=response.protocol or "HTTP/1.1",
        )
        request.meta["yrd_fetched_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.stats.inc_value("yrd/warc/records")
        return response

    def spider_opened(self, spider: Spider) -> None:
        if self.replay is not None:
            damaged = len(self.replay.take_uncounted_damage())
            if damaged:
                self.stats.inc_value(ERRORS + "warc_damaged", damaged)

    def spider_closed(self, spider: Spider) -> None:
        if self.recorder is not None:
            self.recorder.close()
