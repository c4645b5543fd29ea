"""WARC recording and replay: what is written can be read back as the same exchange, a
damaged or truncated archive still serves every whole record, and replay holds the same
body limits as a live download."""

from __future__ import annotations

import gzip
import random
import tracemalloc
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive import ArchiveError, ReplayArchive, WarcRecorder, url_key, warc_files
from crawler.limits import BodyLimits, BodyRejected


def record(path: Path, *exchanges: tuple[str, bytes, list[tuple[str, str]]]) -> list:
    recorder = WarcRecorder(path)
    refs = [recorder.write(url, 200, headers, body) for url, body, headers in exchanges]
    recorder.close()
    return refs


def test_records_are_warc_request_and_response_pairs(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    record(path, ("https://example.org/a?x=1", b"<p>hello</p>", [("Content-Type", "text/html")]))
    with open(path, "rb") as handle:
        kinds = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
            for r in ArchiveIterator(handle)
        ]
    assert kinds == [
        ("warcinfo", None),
        ("response", "https://example.org/a?x=1"),
        ("request", "https://example.org/a?x=1"),
    ]
    # gzip per record: the file is a series of gzip members, each readable alone.
    assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_replay_returns_the_recorded_exchange(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    (ref,) = record(
        path,
        (
            "https://example.org/a",
            "<p>苏州</p>".encode(),
            [("Content-Type", "text/html; charset=utf-8")],
        ),
    )
    archived = ReplayArchive([path]).get("https://example.org/a#fragment")
    assert archived is not None
    assert archived.body == "<p>苏州</p>".encode()
    assert archived.status == 200
    assert ("Content-Type", "text/html; charset=utf-8") in archived.headers
    assert archived.ref.record_id == ref.record_id
    assert archived.fetched_at


def test_compressed_bodies_come_back_decoded(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    raw = gzip.compress(b"<html>compressed</html>")
    record(
        path,
        (
            "https://example.org/z",
            raw,
            [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
        ),
    )
    archived = ReplayArchive([path]).get("https://example.org/z")
    assert archived.body == b"<html>compressed</html>"
    assert all(k.lower() != "content-encoding" for k, _ in archived.headers)


def test_last_record_of_a_url_wins_and_missing_urls_are_none(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    record(path, ("https://example.org/a", b"old", []), ("https://example.org/a", b"new", []))
    archive = ReplayArchive([path])
    assert archive.get("https://example.org/a").body == b"new"
    assert archive.get("https://example.org/missing") is None
    assert len(archive) == 1


def test_query_order_does_not_matter() -> None:
    assert url_key("https://e.org/p?b=2&a=1") == url_key("https://e.org/p?a=1&b=2#top")


def test_a_truncated_archive_keeps_the_records_before_the_damage(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    record(
        path, ("https://example.org/1", b"one", []), ("https://example.org/2", b"two" * 1000, [])
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])  # killed mid-write
    archive = ReplayArchive([path])
    assert archive.get("https://example.org/1").body == b"one"


def test_unusable_archives_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="archive not found"):
        warc_files([tmp_path / "nope.warc.gz"])
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"this is not a warc file at all")
    with pytest.raises(ArchiveError, match="not a readable WARC"):
        ReplayArchive([junk])
    with pytest.raises(ArchiveError, match="no WARC files"):
        warc_files([tmp_path / "empty"]) if (tmp_path / "empty").mkdir() is None else None


def test_folders_expand_to_their_warc_files(tmp_path: Path) -> None:
    record(tmp_path / "b.warc.gz", ("https://example.org/b", b"b", []))
    record(tmp_path / "a.warc.gz", ("https://example.org/a", b"a", []))
    (tmp_path / "notes.txt").write_text("not an archive")
    assert [p.name for p in warc_files([tmp_path])] == ["a.warc.gz", "b.warc.gz"]
    assert ReplayArchive([tmp_path]).get("https://example.org/b").body == b"b"


# Damaged and truncated archives. The files are made here from real records (the
# recorder's own output), then damaged: one byte flipped, or the file cut short.

ENCODED = "https://example.org/encoded"


def exchanges() -> dict[str, tuple[bytes, list[tuple[str, str]]]]:
    """Bodies of different shapes, so the damage falls in headers, text, noise and
    compressed payloads."""
    noise = random.Random(15).randbytes(3000)
    return {
        "https://example.org/short": (b"one", []),
        "https://example.org/text": ("苏州工业园区".encode() * 300, []),
        "https://example.org/noise": (noise, []),
        ENCODED: (gzip.compress(b"<p>z</p>" * 500), [("Content-Encoding", "gzip")]),
        "https://example.org/last": (b"x" * 10, []),
    }


def decoded(url: str, body: bytes) -> bytes:
    return gzip.decompress(body) if url == ENCODED else body


def gzip_members(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each gzip member, found independently of the code under test."""
    spans, start = [], 0
    while start < len(data):
        inflater = zlib.decompressobj(31)
        inflater.decompress(data[start:])
        end = len(data) - len(inflater.unused_data)
        spans.append((start, end))
        start = end
    return spans


@pytest.fixture
def pristine(tmp_path: Path) -> tuple[bytes, dict[str, tuple[int, int]], dict[str, bytes]]:
    """The archive's bytes, the gzip member of each URL's response, and the bodies."""
    path = tmp_path / "pristine.warc.gz"
    recorder = WarcRecorder(path)
    offsets = {url: recorder.write(url, 200, h, b).offset for url, (b, h) in exchanges().items()}
    recorder.close()
    data = path.read_bytes()
    members = {start: (start, end) for start, end in gzip_members(data)}
    spans = {url: members[offset] for url, offset in offsets.items()}
    bodies = {url: decoded(url, b) for url, (b, _) in exchanges().items()}
    return data, spans, bodies


def test_one_flipped_byte_costs_at_most_its_own_record(tmp_path: Path, pristine) -> None:
    data, spans, bodies = pristine
    boundaries = {p for start, end in gzip_members(data) for p in (start, start + 3, end - 1)}
    positions = sorted(set(range(0, len(data), 7)) | boundaries)
    damaged = tmp_path / "damaged.warc.gz"
    for position in positions:
        flipped = bytearray(data)
        flipped[position] ^= 0xFF
        damaged.write_bytes(flipped)
        archive = ReplayArchive([damaged])  # never an ArchiveError
        lost = []
        for url, body in bodies.items():
            archived = archive.get(url)
            if archived is None:
                lost.append(url)
            else:
                assert archived.body == body, (position, url)  # never a wrong body
        start, end = next((s, e) for s, e in gzip_members(data) if s <= position < e)
        hit = [url for url, span in spans.items() if span == (start, end)]
        assert set(lost) <= set(hit), (position, lost)  # every other record is served
        if lost:
            assert len(archive.damage) == 1 and archive.damage[0].offset == start, position
        assert len(archive.damage) <= 1


def test_a_file_cut_anywhere_keeps_every_whole_record(tmp_path: Path, pristine) -> None:
    data, spans, bodies = pristine
    cut_file = tmp_path / "killed.warc.gz"
    for cut in range(0, len(data), 5):
        cut_file.write_bytes(data[:cut])
        archive = ReplayArchive([cut_file])  # a killed writer's file never fails a replay
        served = {url for url in bodies if archive.get(url) is not None}
        assert served == {url for url, (_, end) in spans.items() if end <= cut}, cut
        at_boundary = cut in {end for _, end in gzip_members(data)} or cut == 0
        assert len(archive.damage) == (0 if at_boundary else 1), cut
        for url in served:
            assert archive.get(url).body == bodies[url]


def test_damage_in_several_files_and_places_is_listed_once_each(tmp_path: Path, pristine) -> None:
    data, spans, bodies = pristine
    flipped = bytearray(data)
    for url in ("https://example.org/text", ENCODED):
        start, end = spans[url]
        flipped[(start + end) // 2] ^= 0x01
    (tmp_path / "a.warc.gz").write_bytes(flipped)
    (tmp_path / "b.warc.gz").write_bytes(data[: spans["https://example.org/last"][0] + 9])
    archive = ReplayArchive([tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"])
    assert [(d.path.name, d.reason != "") for d in archive.damage] == [
        ("a.warc.gz", True),
        ("a.warc.gz", True),
        ("b.warc.gz", True),
    ]
    assert archive.get("https://example.org/noise").body == bodies["https://example.org/noise"]
    assert archive.take_uncounted_damage() == archive.damage
    assert archive.take_uncounted_damage() == []  # counted by one crawl only


def test_an_uncompressed_warc_resynchronises_on_the_next_record(tmp_path: Path) -> None:
    buffer = BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    bodies = {url: decoded(url, body) for url, (body, _) in exchanges().items() if url != ENCODED}
    for url, body in bodies.items():
        writer.write_record(
            writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(body),
                http_headers=StatusAndHeaders("200 OK", [], protocol="HTTP/1.1"),
            )
        )
    data = buffer.getvalue()
    path = tmp_path / "plain.warc"
    for position in range(0, len(data), 11):
        flipped = bytearray(data)
        flipped[position] ^= 0xFF
        path.write_bytes(flipped)
        archive = ReplayArchive([path])
        served = {url: a.body for url in bodies if (a := archive.get(url)) is not None}
        assert len(served) >= len(bodies) - 1, position
        assert all(served[url] == bodies[url] for url in served), position  # digests checked
    path.write_bytes(data[: len(data) - 30])
    assert len(ReplayArchive([path])) == len(bodies) - 1


def test_a_cut_or_empty_file_is_no_error_but_junk_is(tmp_path: Path, pristine) -> None:
    data, _, _ = pristine
    for content in (b"", data[:1], data[:40]):
        (tmp_path / "cut.warc.gz").write_bytes(content)
        assert len(ReplayArchive([tmp_path / "cut.warc.gz"])) == 0
    for junk in (b"\x1f\x8b\x08\x00 not deflate at all", gzip.compress(b"hello"), b"<html>"):
        (tmp_path / "junk.warc.gz").write_bytes(junk)
        with pytest.raises(ArchiveError, match="not a readable WARC"):
            ReplayArchive([tmp_path / "junk.warc.gz"])


# Body limits in replay: the same DOWNLOAD_MAXSIZE and decompression bounds as live.


def test_replay_rejects_an_archived_body_over_the_size_limit_without_reading_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "big.warc.gz"
    record(path, ("https://example.org/big", b"<p>big</p>" * 300_000, []))
    archive = ReplayArchive([path])
    with pytest.raises(BodyRejected) as rejected:
        archive.get("https://example.org/big", BodyLimits(max_size=1_000_000))
    assert rejected.value.kind == "size_limit"
    assert "3000000 bytes" in rejected.value.reason
    assert len(archive.get("https://example.org/big", BodyLimits(max_size=4_000_000)).body) == 3e6


def test_replay_stops_a_gzip_bomb_at_the_cap(tmp_path: Path) -> None:
    bomb = gzip.compress(bytes(256 * 1024 * 1024), 9)  # 256 MiB of zeros in ~250 kB
    path = tmp_path / "bomb.warc.gz"
    record(path, ("https://example.org/bomb", bomb, [("Content-Encoding", "gzip")]))
    archive = ReplayArchive([path])
    tracemalloc.start()
    try:
        with pytest.raises(BodyRejected) as rejected:
            archive.get("https://example.org/bomb", BodyLimits(max_size=16 * 2**20, max_ratio=100))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rejected.value.kind == "decompression_limit"
    assert peak < 64 * 2**20  # stopped near the 16 MiB cap, never inflated in full
