"""The test material's layout holds (fixtures/README.md): no file stored twice, every real page
with its provenance, per-source fixtures that name the real pages they reuse, and tests, bench
and demo that share material only through the fixtures package."""

from __future__ import annotations

import ast
import hashlib
import json
from collections import defaultdict
from pathlib import Path

import pytest

from fixtures import DATA, ROOT
from fixtures.pages import PAGES, record, records
from fixtures.sources import fixture_pages, manifest


def test_no_file_is_stored_twice() -> None:
    by_digest: dict[str, set[str]] = defaultdict(set)
    for path in [*DATA.rglob("*"), *(ROOT / "demo" / "corpus").rglob("*")]:
        if path.is_file():
            name = str(path.relative_to(DATA if path.is_relative_to(DATA) else ROOT))
            by_digest[hashlib.sha256(path.read_bytes()).hexdigest()].add(name)
    copies = [frozenset(names) for names in by_digest.values() if len(names) > 1]
    assert copies == []


def test_every_real_page_has_its_provenance_record() -> None:
    stored = {
        str(p.relative_to(PAGES))
        for p in PAGES.glob("*/*.html")  # expected/ output lies one level deeper
    }
    assert stored == {rec["file"] for rec in records()}
    assert len(stored) == 38
    for rec in records():
        assert rec["repo"] and rec["path"] and len(rec["commit"]) == 40, rec["file"]


def test_source_fixtures_reuse_real_pages_by_name() -> None:
    reused = [page for _, page in fixture_pages("article") if "page" in page]
    assert len(reused) == 4
    for page in reused:
        rec = record(page["page"])
        assert page["path"] == PAGES / rec["file"]
        assert page["origin"] == {k: rec[k] for k in ("repo", "path", "commit")}
        assert not page["composed"]


def test_a_fixture_page_must_say_where_its_bytes_are(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "demo_source"
    folder.mkdir()
    entry = {"url": "https://a.example/1", "role": "article", "composed": False}
    for broken, message in (
        (entry, "give one of file and page"),
        (entry | {"file": "a.html", "page": "qq.com/x.html"}, "give one of file and page"),
        (entry | {"page": "qq.com/missing.html"}, "not a page of"),
        (entry | {"page": "qq.com/readability-testpage-qq-zh.html", "origin": {"repo": "x"}},
         "its origin is its record"),
    ):  # fmt: skip
        data = {"source": "demo_source", "pages": [broken]}
        (folder / "fixtures.json").write_text(json.dumps(data), encoding="utf-8")
        monkeypatch.setattr("fixtures.sources.SOURCE_FIXTURES", tmp_path)
        with pytest.raises((ValueError, KeyError), match=message):
            manifest("demo_source")


AREAS = ("tests", "bench", "demo")


@pytest.mark.parametrize("area", AREAS)
def test_tests_bench_and_demo_do_not_import_each_other(area: str) -> None:
    allowed = {"tests": {"tests.conftest"}}.get(area, set())
    found = []
    for path in sorted((ROOT / area).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in AREAS and name not in allowed:
                    found.append(f"{path.relative_to(ROOT)}: {name}")
    assert found == []
