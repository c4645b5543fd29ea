"""WARC recording and replay: what is written can be read back as the same exchange."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive import ArchiveError, ReplayArchive, WarcRecorder, url_key, warc_files


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
