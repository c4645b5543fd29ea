"""The source registry: the real file loads, and each kind of bad entry gives one clear line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from crawler.pages import SELECTOR_KEYS
from crawler.sources import (
    KINDS,
    SELECTOR_FIELDS,
    RegistryError,
    Source,
    describe_sources,
    load_sources,
    source_for_url,
)

GOOD = {
    "id": "example_gov",
    "name": "Example government",
    "kind": "government",
    "language": "en",
    "region": "Suzhou",
    "allowed_domains": ["example.gov.cn"],
    "listings": [
        {
            "url": "http://www.example.gov.cn/news/",
            "article_pattern": r"/news/\d{6}/t\d+\.html$",
            "next_page_pattern": r"/news/index_\d+\.html$",
        }
    ],
    "verified": "composed for a test",
}


def write(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    return path


def error_for(tmp_path: Path, entries: list[dict]) -> str:
    with pytest.raises(RegistryError) as info:
        load_sources(write(tmp_path, entries))
    message = str(info.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    return load_sources()


def test_real_registry_has_ten_enabled_sources_and_two_chinese(sources: list[Source]) -> None:
    enabled = [s for s in sources if s.enabled]
    assert len(enabled) >= 10
    assert sum(1 for s in enabled if s.language == "zh" and s.kind == "government") >= 2
    assert sum(1 for s in enabled if s.language == "en") >= 10


def test_every_source_says_how_it_was_verified(sources: list[Source]) -> None:
    for source in sources:
        assert len(source.verified.split()) >= 8, source.id


def test_registry_patterns_accept_the_real_article_urls_in_their_verified_notes(
    sources: list[Source],
) -> None:
    """Every full article URL quoted in `verified` matches its source's article pattern."""
    checked = 0
    for source in sources:
        patterns = [listing.article_pattern for listing in source.listings]
        if source.article_pattern:
            patterns.append(source.article_pattern)
        for host_path in re.findall(
            r"\b((?:[a-z0-9-]+\.)+[a-z]{2,}/\S+?\.s?html?)\b", source.verified
        ):
            if (
                "..." in host_path
                or "YYYY" in host_path
                or not source.allows("http://" + host_path)
            ):
                continue  # an elided or templated URL, or another site's
            for scheme in ("http://", "https://"):
                url = scheme + host_path
                if any(re.search(p, url) for p in patterns):
                    checked += 1
                    break
            else:
                if re.search(r"/(col|nav_list|latest)", host_path):
                    continue  # a listing address quoted in the note, not an article
                pytest.fail(f"{source.id}: {host_path} matches no article pattern")
    assert checked >= 5


def test_selector_keys_agree_with_the_page_object() -> None:
    assert set(SELECTOR_FIELDS) == set(SELECTOR_KEYS)


def test_a_good_entry_loads_with_defaults(tmp_path: Path) -> None:
    (source,) = load_sources(write(tmp_path, [GOOD]))
    assert source.id == "example_gov"
    assert source.enabled is True
    assert source.keywords == ()
    assert source.listings[0].next_page_pattern == r"/news/index_\d+\.html$"
    # No feed/sitemap pattern: any on-domain link counts, off-domain ones never do.
    assert source.is_article_url("http://www.example.gov.cn/about.html")
    assert not source.is_article_url("http://www.example.org/news/202401/t123.html")
    assert source.allows("http://sub.example.gov.cn/x") and not source.allows("http://example.org/")


@pytest.mark.parametrize(
    ("change", "entry", "field"),
    [
        ({"kind": None}, "example_gov", "kind"),
        ({"verified": ""}, "example_gov", "verified"),
        ({"kind": "blog"}, "example_gov", "kind"),
        ({"language": "fr"}, "example_gov", "language"),
        ({"id": "Bad-Id"}, "Bad-Id", "id"),
        ({"id": "urls"}, "urls", "id"),
        ({"article_pattern": "(unclosed"}, "example_gov", "article_pattern"),
        (
            {"listings": [{"url": "http://www.example.gov.cn/", "article_pattern": "[a-"}]},
            "example_gov",
            "listings.article_pattern",
        ),
        (
            {"listings": [{"url": "http://elsewhere.org/", "article_pattern": "x"}]},
            "example_gov",
            "listings.url",
        ),
        ({"listings": []}, "example_gov", "feeds"),
        ({"feeds": ["ftp://example.gov.cn/rss"]}, "example_gov", "feeds"),
        ({"allowed_domains": ["http://example.gov.cn/"]}, "example_gov", "allowed_domains"),
        ({"selectors": {"headline": "h1"}}, "example_gov", "selectors"),
        ({"selectors": {"body": "div[["}}, "example_gov", "selectors.body"),
        ({"enabled": "yes"}, "example_gov", "enabled"),
        ({"colour": "red"}, "example_gov", "colour"),
    ],
)
def test_bad_entry_names_entry_and_field(
    tmp_path: Path, change: dict, entry: str, field: str
) -> None:
    bad = {**GOOD, **change}
    bad = {k: v for k, v in bad.items() if v is not None}
    message = error_for(tmp_path, [bad])
    assert message.startswith(f"sources.yml: entry '{entry}': field '{field}': ")


def test_missing_field_is_reported_as_missing(tmp_path: Path) -> None:
    bad = {k: v for k, v in GOOD.items() if k != "region"}
    assert error_for(tmp_path, [bad]) == "sources.yml: entry 'example_gov': field 'region': missing"


def test_entry_without_id_is_named_by_position(tmp_path: Path) -> None:
    bad = {k: v for k, v in GOOD.items() if k != "id"}
    assert error_for(tmp_path, [GOOD | {"id": "first"}, bad]).startswith(
        "sources.yml: entry '#2': field 'id': missing"
    )


def test_duplicate_id(tmp_path: Path) -> None:
    message = error_for(tmp_path, [GOOD, GOOD])
    assert message == "sources.yml: entry 'example_gov': field 'id': duplicate id"


def test_unknown_kind_lists_the_kinds(tmp_path: Path) -> None:
    message = error_for(tmp_path, [{**GOOD, "kind": "blog"}])
    assert all(kind in message for kind in KINDS)


def test_broken_yaml_and_missing_file_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.yml"
    path.write_text("sources:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"^sources\.yml: not valid YAML at line \d+$"):
        load_sources(path)
    with pytest.raises(RegistryError, match=r"^nothere\.yml: cannot read"):
        load_sources(tmp_path / "nothere.yml")


def test_source_for_url_prefers_the_most_specific_domain(tmp_path: Path) -> None:
    broad = {**GOOD, "id": "broad", "allowed_domains": ["example.gov.cn"]}
    narrow = {
        **GOOD,
        "id": "narrow",
        "allowed_domains": ["en.example.gov.cn"],
        "listings": [{"url": "http://en.example.gov.cn/", "article_pattern": "x"}],
    }
    off = {
        **narrow,
        "id": "off",
        "enabled": False,
        "allowed_domains": ["old.example.gov.cn"],
        "listings": [{"url": "http://old.example.gov.cn/", "article_pattern": "x"}],
    }
    loaded = load_sources(write(tmp_path, [broad, narrow, off]))
    assert source_for_url("http://en.example.gov.cn/a.html", loaded).id == "narrow"
    assert source_for_url("http://www.example.gov.cn/a.html", loaded).id == "broad"
    assert source_for_url("http://old.example.gov.cn/a.html", loaded).id == "broad"  # disabled
    assert source_for_url("http://notexample.gov.cn/a.html", loaded) is None
    assert source_for_url("not a url", loaded) is None


def test_source_for_url_on_the_real_registry(sources: list[Source]) -> None:
    found = source_for_url(
        "https://www.suzhou.gov.cn/szsrmzf/szyw/202411/04aa4b3c180a4b5f824540d5aaef9853.shtml",
        sources,
    )
    assert found is not None and found.id == "suzhou_gov_zh"
    assert source_for_url("https://www.example.com/news/1.html", sources) is None


def test_describe_sources_rows(sources: list[Source]) -> None:
    rows = describe_sources(sources)
    assert [row["id"] for row in rows] == [s.id for s in sources]
    keys = {"id", "name", "kind", "language", "region", "discovery", "enabled", "verified"}
    for row in rows:
        assert set(row) == keys
        assert row["discovery"], row["id"]
    by_id = {row["id"]: row for row in rows}
    assert "feed" in by_id["prnewswire"]["discovery"]
    assert "keyword filter" in by_id["prnewswire"]["discovery"]
    assert "sitemap" in by_id["globaltimes"]["discovery"]
    assert "listing" in by_id["chinadaily_snd"]["discovery"]
    assert "paged" in by_id["chinadaily_snd"]["discovery"]


def test_sources_are_hashable(sources: list[Source]) -> None:
    assert len(set(sources)) == len(sources)
