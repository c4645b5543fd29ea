"""Web archive of every response (WARC, ISO 28500) and replay of an archive as the
only download source.

Recording and replay are one downloader middleware because they are one concern:
the archive is the crawler's record of the web. Replay is how the demo, the
integration tests and a user re-running a past crawl work without a network.
"""

from __future__ import annotations

import gzip
import logging
import os
import socket
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
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.items import WarcRef

logger = logging.getLogger(__name__)

# The body we store is not chunked (Scrapy has de-chunked it) and has a new length; the
# body we replay is, in addition, decompressed by warcio.
_WRITE_DROPPED = {"transfer-encoding", "content-length"}
_REPLAY_DROPPED = _WRITE_DROPPED | {"content-encoding"}


class ArchiveError(Exception):
    """A replay archive that cannot be used (missing, unreadable, not WARC)."""


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


def iter_responses(path: Path) -> Iterator[tuple[Any, int]]:
    """(record, offset) for every HTTP response record of one WARC file.

    A file cut short (a crawl killed mid-write) still yields every record before the
    damage; a file with no readable record at all is an ArchiveError.
    """
    read = 0
    with open(path, "rb") as handle:
        start = handle.read(2)
        if start == b"\x1f\x8b":
            handle.seek(0)
            with gzip.open(handle) as first_member:
                start = first_member.read(5)
        else:
            start += handle.read(3)
        if start != b"WARC/":
            raise ArchiveError(
                f"{path}: not a readable WARC file (it does not start with a WARC record)"
            )
        handle.seek(0)
        records = ArchiveIterator(handle)
        try:
            for record in records:
                read += 1
                if record.rec_type == "response" and record.http_headers is not None:
                    yield record, records.get_record_offset()
        except Exception as exc:  # warcio raises bare Exceptions on damaged members
            if read == 0:
                raise ArchiveError(f"{path}: not a readable WARC file ({exc})") from exc
            logger.warning("%s is damaged after %d records; using those (%s)", path, read, exc)


class ReplayArchive:
    """Index of WARC files by URL, answering lookups by seeking to the record.

    The index holds offsets, not bodies, so a large archive costs little memory.
    When a URL was archived several times, the last record wins.
    """

    def __init__(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        self._index: dict[str, tuple[Path, int]] = {}
        for path in warc_files(paths):
            for record, offset in iter_responses(path):
                url = record.rec_headers.get_header("WARC-Target-URI")
                if url:
                    self._index[url_key(url)] = (path, offset)

    def __len__(self) -> int:
        return len(self._index)

    def urls(self) -> list[str]:
        return list(self._index)

    def get(self, url: str) -> ArchivedResponse | None:
        location = self._index.get(url_key(url))
        return read_response(*location) if location else None


def read_response(path: str | os.PathLike[str], offset: int) -> ArchivedResponse:
    """The HTTP response record at `offset` of a WARC file, decoded as it is replayed."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            record = next(iter(ArchiveIterator(handle)), None)
            if record is None or record.rec_type != "response" or record.http_headers is None:
                raise ArchiveError(f"{path}: no response record at offset {offset}")
            body = record.content_stream().read()  # de-chunked and decompressed by warcio
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot read the archive ({exc.strerror or exc})") from exc
    except ArchiveError:
        raise
    except Exception as exc:  # warcio raises bare Exceptions on damaged members
        raise ArchiveError(f"{path}: damaged record at offset {offset} ({exc})") from exc
    headers = [(k, v) for k, v in record.http_headers.headers if k.lower() not in _REPLAY_DROPPED]
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(record.http_headers.get_statuscode()),
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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        replay_paths = settings.getlist("YRD_REPLAY")
        replay = open_replay(tuple(replay_paths)) if replay_paths else None
        warc_dir = Path(settings.get("YRD_DATA_DIR", "data")) / "warc"
        middleware = cls(crawler, replay, warc_dir)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        if replay is not None:
            logger.info(
                "Replaying %d archived responses from %s", len(replay), ", ".join(replay_paths)
            )
        return middleware

    def process_request(self, request: Request) -> Response | None:
        if self.replay is None:
            return None
        archived = self.replay.get(request.url)
        if archived is None:
            self.stats.inc_value("yrd/replay/miss")
            logger.warning("Not in the archive, skipped: %s", request.url)
            raise IgnoreRequest(f"not in the replay archive: {request.url}")
        self.stats.inc_value("yrd/replay/hit")
        request.meta["yrd_warc"] = archived.ref
        request.meta["yrd_fetched_at"] = archived.fetched_at
        response_class = responsetypes.from_args(
            headers=dict(archived.headers), url=request.url, body=archived.body
        )
        return response_class(
            url=request.url,
            status=archived.status,
            headers=archived.headers,
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

    def spider_closed(self, spider: Spider) -> None:
        if self.recorder is not None:
            self.recorder.close()
