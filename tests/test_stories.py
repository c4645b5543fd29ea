"""Stories, facts and cross-lingual links over a real SQLite file, on the real texts of the
corpus and the seeds and the texts composed for stories (demo/corpus/composed-stories.jsonl,
ids composed-...), read through fixtures.texts. Texts changed by a test to make a case are said
to be changed where they are made."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from datasketch import LeanMinHash, MinHashLSH
from sqlite_utils import Database

from crawler.cli import cli
from crawler.db import open_db, sync_sources
from crawler.items import STORY_TABLES, Article
from crawler.sources import load_sources, source_for_url
from crawler.storage import store_article
from fixtures.compose import compose_copy
from fixtures.texts import as_article, composed_articles, corpus_articles, real_texts
from pipelines.chain import ChainContext, run_chain
from pipelines.stories import cluster, update_stories
from pipelines.stories import fingerprints as fp
from pipelines.stories.bands import BandIndex
from pipelines.stories.cluster import MIN_CONTAINMENT, load_text
from pipelines.stories.facts import FigureRef, group_facts
from pipelines.stories.links import FactKey, StorySide, link_evidence, significant_digits
from pipelines.stories.refresh import moment

TEXTS = real_texts() | {t.id: t for t in composed_articles()}
REGISTRY = load_sources()
CTX = ChainContext(sources={source.id: source for source in REGISTRY})


def corpus_article(key: str, **changes: str) -> Article:
    """A real text as the demo publishes it, through the processing chain; `changes` (url,
    body) make a case of it and are said where a test makes them."""
    article = as_article(replace(TEXTS[key], **changes))
    source = source_for_url(article.url, REGISTRY)
    article.source_id = source.id if source else "other"
    return run_chain(article, CTX)


def new_db(tmp_path: Path) -> Database:
    db = open_db(tmp_path / "stories.db")
    sync_sources(db, REGISTRY)
    return db


def store(db: Database, *articles: Article) -> None:
    for article in articles:
        store_article(db, article)


def story_of(db: Database, article: Article) -> int:
    return db.execute(
        "select story_id from story_articles where article_id = ?", [article.id]
    ).fetchone()[0]


def story_rows(db: Database) -> dict[str, list[tuple]]:
    return {
        t.name: [tuple(r) for r in db.execute(f"select * from {t.name} order by 1, 2").fetchall()]
        for t in STORY_TABLES
    }


# --- copies ----------------------------------------------------------------------------------


def test_a_release_and_its_republication_with_other_boilerplate_are_one_story(
    tmp_path: Path,
) -> None:
    db = new_db(tmp_path)
    # Real copies: finanzen.at's has a photo caption, malaysiasun's the closing paragraph and
    # "Original link" / "SOURCE" lines; the datelines differ by a day.
    first, second = corpus_article("zjg-summit-finanzen"), corpus_article("zjg-summit-malaysiasun")
    store(db, first, second)
    report = update_stories(db)
    assert (report.clustered, report.near) == (2, 1)
    assert story_of(db, first) == story_of(db, second)
    story = db["stories"].get(story_of(db, first))
    assert (story["articles"], story["outlets"]) == (2, 2)
    # each figure is one fact, reported by both outlets where both print it
    facts = list(db.query("select * from facts where story_id = ?", [story["id"]]))
    keys = [(f["kind"], f["value"], f["unit"], f["metric"], f["year"]) for f in facts]
    assert len(keys) == len(set(keys))
    deals = next(f for f in facts if f["kind"] == "money" and f["value"] == 84.76e9)
    assert (deals["outlets"], deals["articles"]) == (2, 2)
    roles = dict(
        db.execute(
            "select f.text, ff.role from fact_figures ff join figures f"
            " on f.article_id = ff.article_id and f.key = ff.figure_key where ff.fact_id = ?"
            " and ff.article_id = ?",
            [deals["id"], second.id],
        ).fetchall()
    )
    assert roles == {"84.76 billion yuan": "report", "12.26 billion U.S. dollars": "conversion"}
    # every figure of both copies stands for exactly one fact
    figures = db.execute("select count(*) from figures").fetchone()[0]
    assert db.execute("select count(*) from fact_figures").fetchone()[0] == figures


def test_the_copy_years_later_with_commas_run_together_joins_the_story(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    # composed from seed 002: another site's lines, no wire dateline, commas without spaces
    original = corpus_article("seed-002")
    later = corpus_article("composed-copy-xiangcheng-tokyo-later")
    store(db, later, original)
    update_stories(db)
    member = db["story_articles"].get(later.id)
    assert member["story_id"] == story_of(db, original)
    assert member["role"] == "copy" and member["match"] == "near"
    assert member["lag_seconds"] > 2 * 365 * 86400  # 2019-07-04 -> 2021-11-03
    assert db["story_articles"].get(original.id)["role"] == "original"
    story = db["stories"].get(member["story_id"])
    assert story["original_article_id"] == original.id
    assert story["first_published_at"].startswith("2019-07-04")


def test_an_exact_duplicate_in_other_characters_is_an_exact_copy(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    simplified = corpus_article("sip-85-projects-ahtit")
    # Changed here: the same text folded to Traditional-looking full-width form at another URL.
    changed = simplified.body.replace("苏州", "蘇州").replace("85", "８５").replace(",", "，")
    copy = corpus_article(
        "sip-85-projects-ahtit", url="https://example.org/copy/62020.html", body=changed
    )
    store(db, simplified, copy)
    report = update_stories(db)
    assert report.exact == 1
    assert db["story_articles"].get(copy.id)["match"] == "exact"


def test_two_releases_from_one_template_with_other_numbers_are_two_stories(
    tmp_path: Path,
) -> None:
    db = new_db(tmp_path)
    # composed: the Q1 2024 report re-issued for Q1 2025 with every figure changed
    q1_2024, q1_2025 = (
        corpus_article("people-jiangsu-q1-gdp-2024"),
        corpus_article("composed-template-jiangsu-q1-gdp-2025"),
    )
    release = corpus_article("zjg-summit-finanzen")
    # Changed here: the same release with its figures changed, as next year's would read.
    body = release.body
    for old, new in (("145", "162"), ("84.76", "91.02"), ("84.8", "91.0"), ("12.26", "13.17")):
        body = body.replace(old, new)
    next_year = corpus_article(
        "zjg-summit-finanzen", url="https://example.org/zjg-2023.html", body=body
    )
    store(db, q1_2024, q1_2025, release, next_year)
    update_stories(db)
    assert story_of(db, q1_2024) != story_of(db, q1_2025)
    assert story_of(db, release) != story_of(db, next_year)
    # it is the figures that tell them apart: the text alone would pass as a copy
    a, b = load_text(db, release.id), load_text(db, next_year.id)
    assert fp.containment(a.shingles, b.shingles) > MIN_CONTAINMENT


def test_same_event_reports_written_independently_stay_apart(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    xinmin, mysteel = (
        corpus_article("xinmin-suzhou-nev-cluster-2023"),
        corpus_article("mysteel-gusu-nev-2023"),
    )
    store(db, xinmin, mysteel)
    update_stories(db)
    assert story_of(db, xinmin) != story_of(db, mysteel)


# --- facts -----------------------------------------------------------------------------------


def test_a_restated_figure_is_one_fact(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    seed = corpus_article("seed-003")  # "... 4 trillion yuan. "4 trillion" is a figure ..."
    store(db, seed)
    update_stories(db)
    (fact,) = db.query(
        "select * from facts where story_id = ? and value = 4e12", [story_of(db, seed)]
    )
    assert (fact["mentions"], fact["articles"], fact["text"]) == (2, 1, "4 trillion yuan")
    roles = [
        r for (r,) in db.execute("select role from fact_figures where fact_id = ?", [fact["id"]])
    ]
    assert sorted(roles) == ["report", "restatement"]


def ref(key: str, value: float, **fields: object) -> FigureRef:
    return FigureRef(article_id=1, key=key, kind="money", value=value, **({"unit": "CNY"} | fields))


def test_fact_rules_conversions_restatements_and_conflicting_metrics() -> None:
    groups = group_facts(
        [
            ref("money@0", 30e9, metric="deals"),
            ref("money@20", 4.65e9, unit="USD", equivalent_of="money@0"),
            ref("money@40", 84.8e9, metric="deals"),
            ref("money@60", 84.76e9, metric="investment", restates="money@40"),
            ref("money@80", 30e9, metric=None),  # a bare restatement: no metric, no conflict
            ref("money@99", 30e9, metric="output"),  # the same value measuring another thing
        ]
    )
    assert [[(r.key, role) for r, role in g.members] for g in groups] == [
        [("money@0", "report"), ("money@20", "conversion"), ("money@80", "restatement")],
        [("money@40", "report"), ("money@60", "restatement")],
        [("money@99", "report")],
    ]


# --- links -----------------------------------------------------------------------------------


def test_an_english_and_a_chinese_report_of_one_event_are_linked_with_evidence(
    tmp_path: Path,
) -> None:
    db = new_db(tmp_path)
    english = corpus_article("composed-en-nev-cluster-2023")  # written here from the Chinese
    chinese = corpus_article("xinmin-suzhou-nev-cluster-2023")
    other_event = corpus_article("cri-suzhou-kejicheng-2021")  # Suzhou signings, 2021
    store(db, english, chinese, other_event)
    update_stories(db)
    (link,) = db.query("select * from story_links")
    assert (link["en_story_id"], link["zh_story_id"]) == (
        story_of(db, english),
        story_of(db, chinese),
    )
    evidence = json.loads(link["evidence"])
    matched = {(f["en"], f["zh"]) for f in evidence["facts"]}
    assert ("91.6 billion yuan", "916亿元") in matched
    assert ("438.2 billion yuan", "4382亿元") in matched
    assert "320500" in {p["code"] for p in evidence["places"]}  # Suzhou
    assert link["shared_facts"] == len(evidence["facts"]) >= 3
    assert link["days_apart"] is not None and link["days_apart"] <= 2


def story(story_id: int, published: str | None, facts: list[tuple], places: dict) -> StorySide:
    keys = tuple(
        FactKey(i, kind, value, unit, text) for i, (kind, value, unit, text) in enumerate(facts)
    )
    return StorySide(story_id, moment(published), keys, places)


def test_link_rules_dates_places_and_distinctive_facts() -> None:
    suzhou = {"320500": "Suzhou"}
    facts = [
        ("money", 91.6e9, "CNY", "91.6 billion yuan"),
        ("count", 142.0, "items", "142 projects"),
    ]
    en = story(1, "2023-01-03T00:00:00+08:00", facts, suzhou)
    assert link_evidence(en, story(2, "2023-01-04T10:54:59+08:00", facts, suzhou))
    assert link_evidence(en, story(2, "2023-02-04T10:54:59+08:00", facts, suzhou)) is None
    assert (
        link_evidence(en, story(2, "2023-01-04T10:54:59+08:00", facts, {"330100": "Hangzhou"}))
        is None
    )
    round_numbers = [("count", 30.0, "items", "30 projects"), ("percent", 5.0, "%", "5%")]
    assert (
        link_evidence(story(1, None, round_numbers, suzhou), story(2, None, round_numbers, suzhou))
        is None
    )
    # undated: two shared facts are enough only when they weigh enough (a precise amount)
    assert link_evidence(story(1, None, facts, suzhou), story(2, None, facts, suzhou))
    assert [significant_digits(v) for v in (91.6e9, 142, 30, 5e9, 1006, 0.1)] == [3, 3, 1, 1, 4, 1]


# --- incremental and idempotent --------------------------------------------------------------


def test_clustering_twice_writes_the_same_rows(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    store(
        db,
        *map(
            corpus_article,
            ["jiaxing-magnet-ezhejiang", "jiaxing-magnet-chinadaily", "seed-003",
             "composed-zh-post-4-trillion-meeting", "composed-en-nev-cluster-2023",
             "mysteel-gusu-nev-2023"],
        ),
    )  # fmt: skip
    update_stories(db)
    once = story_rows(db)
    assert once["story_links"] and any(r for r in once["stories"] if r[3] == 2)
    assert update_stories(db).clustered == 0
    assert story_rows(db) == once
    update_stories(db, rebuild=True)
    rebuilt = story_rows(db)
    update_stories(db, rebuild=True)
    assert story_rows(db) == rebuilt


def test_a_new_copy_joins_the_existing_story_and_a_changed_article_is_clustered_again(
    tmp_path: Path,
) -> None:
    db = new_db(tmp_path)
    first = corpus_article("suzhou-silkroad-prnewswire")
    store(db, first)
    update_stories(db)
    story_id = story_of(db, first)
    copy = corpus_article("suzhou-silkroad-pakistangazette")
    store(db, copy)
    report = update_stories(db)
    assert (report.clustered, report.near, report.stories) == (1, 1, 1)
    assert story_of(db, copy) == story_id
    assert db["stories"].get(story_id)["outlets"] == 2
    assert (
        db.execute("select max(outlets) from facts where story_id = ?", [story_id]).fetchone()[0]
        == 2
    )
    # Changed here: the copy's page now carries another text entirely.
    replaced = corpus_article(
        "suzhou-silkroad-pakistangazette", body=TEXTS["snd-125-key-projects-2020"].body
    )
    store(db, replaced)
    report = update_stories(db)
    assert (report.removed, report.clustered) == (1, 1)
    assert story_of(db, replaced) != story_id
    assert db["stories"].get(story_id)["articles"] == 1
    assert (
        db.execute("select max(outlets) from facts where story_id = ?", [story_id]).fetchone()[0]
        == 1
    )


# --- fingerprints ----------------------------------------------------------------------------


def test_tokens_fold_what_publishers_change() -> None:
    assert fp.tokens("蘇州工業(yè)園區 Ｓｕｚｈｏｕ “quoted” 1,006 firms, 4,2019 and 84.760") == [
        "苏", "州", "工", "业", "园", "区", "suzhou", "quoted", "1006", "firms", "4", "2019",
        "and", "84.76",
    ]  # fmt: skip
    assert fp.fingerprint(fp.tokens("A, b.")) == fp.fingerprint(fp.tokens("a b"))
    assert fp.shingles(["a", "b"]) == {"a b"}


def test_signatures_round_trip_through_bytes() -> None:
    signature = fp.signature(fp.shingles(fp.tokens("Suzhou signed 85 projects worth 50 billion")))
    again = fp.signature_from_bytes(fp.signature_bytes(signature))
    assert again.jaccard(signature) == 1.0


def test_the_band_index_finds_what_datasketch_lsh_finds() -> None:
    """Clustering's candidates come from `BandIndex` (memory a long-running archive can
    afford) instead of datasketch's `MinHashLSH`: for every text, the same articles, whether
    they were loaded from stored bytes or added during the run."""
    signatures = {
        n: fp.signature(fp.shingles(fp.tokens(text.body))) for n, text in enumerate(TEXTS.values())
    }
    lsh = MinHashLSH(
        threshold=cluster.LSH_THRESHOLD, num_perm=fp.NUM_PERM, weights=cluster.LSH_WEIGHTS
    )
    for n, signature in signatures.items():
        lsh.insert(n, signature)
    index = BandIndex(
        threshold=cluster.LSH_THRESHOLD, num_perm=fp.NUM_PERM, weights=cluster.LSH_WEIGHTS
    )
    stored = [(n, fp.signature_bytes(s)) for n, s in signatures.items() if n % 2 == 0]
    index.load(iter(stored))
    assert (index.hashvalues([stored[0][1]]) == signatures[0].hashvalues).all()
    for n, signature in signatures.items():
        if n % 2:
            index.add(n, signature.hashvalues)
    found = {n: index.query(s.hashvalues) for n, s in signatures.items()}
    assert found == {n: set(lsh.query(s)) for n, s in signatures.items()}
    assert sum(len(ids) > 1 for ids in found.values()) >= 10  # copies were found, not just selves


def test_bands_equal_but_in_their_lowest_bits_are_no_match() -> None:
    """A key of the sorted array holds a band's value without its lowest bits; the value
    itself decides."""
    index = BandIndex(
        threshold=cluster.LSH_THRESHOLD, num_perm=fp.NUM_PERM, weights=cluster.LSH_WEIGHTS
    )
    stored = np.random.default_rng(7).integers(1, 2**32 - 1, fp.NUM_PERM, dtype=np.uint32)
    index.load(
        iter(
            [
                (
                    1,
                    fp.signature_bytes(
                        LeanMinHash(
                            seed=fp.MINHASH_SEED, hashvalues=stored, scheme=fp.MINHASH_SCHEME
                        )
                    ),
                )
            ]
        )
    )
    every_band_off = stored.copy()
    every_band_off[1 : 2 * index.bands : 2] ^= 1  # the last bit of each band's second value
    unused_off = stored.copy()
    unused_off[2 * index.bands :] ^= 1  # values no band uses
    assert index.query(every_band_off) == set()
    assert index.query(unused_off) == {1}


def test_the_stories_command_clusters_and_rebuilds(tmp_path: Path) -> None:
    db = new_db(tmp_path)
    store(
        db, corpus_article("jiaxing-magnet-ezhejiang"), corpus_article("jiaxing-magnet-chinadaily")
    )
    db.close()
    path = str(tmp_path / "stories.db")
    first = CliRunner().invoke(cli, ["stories", "--db", path])
    assert first.exit_code == 0, first.output
    assert "stories: 2 articles clustered (0 exact and 1 near copies" in first.stderr
    again = CliRunner().invoke(cli, ["stories", "--db", path])
    assert "stories: 0 articles clustered" in again.stderr
    rebuilt = CliRunner().invoke(cli, ["stories", "--db", path, "--rebuild"])
    assert "stories: 2 articles clustered" in rebuilt.stderr
    missing = CliRunner().invoke(cli, ["stories", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1
    assert missing.stderr.strip() == f"yrdnews: error: no database at {tmp_path / 'none.db'}"


def test_a_bounded_text_cache_clusters_as_an_unbounded_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache of candidate texts is bounded (a crawl of any size keeps little in memory);
    evicting texts must not change a single row."""
    articles = [corpus_article(t.id) for t in corpus_articles()]
    rows = []
    for size in (len(articles) * 2, 2):
        monkeypatch.setattr(cluster, "TEXT_CACHE_SIZE", size)
        (tmp_path / str(size)).mkdir()
        db = new_db(tmp_path / str(size))
        store(db, *articles)
        update_stories(db)
        rows.append(story_rows(db))
    assert rows[0] == rows[1]
    assert rows[0]["story_articles"]  # something was clustered


# --- the composed texts ----------------------------------------------------------------------


def test_every_composed_text_names_the_real_text_it_carries() -> None:
    real = real_texts()
    for text in composed_articles():
        assert text.composed_from in real or text.composed_from.startswith("page:"), text.id
        assert "composed text" in text.origin and text.url.split("/")[2].endswith(".example")


def test_a_composed_copy_is_its_real_text_through_its_steps() -> None:
    release = TEXTS["people-jiangsu-q1-gdp-2024"].body
    copy = compose_copy(
        release,
        [{"renumber": [["6.2", "5.9"], ["2024", "2025"]]}, {"head": ["Site | Economy"]}],
    )
    lines = copy.split("\n\n")
    assert lines[0] == "Site | Economy" and len(lines) == len(release.split("\n\n")) + 1
    assert "up 5.9 percent" in copy and "(Q1) of 2025" in copy and "6.2" not in copy
    assert "62.2 percent" in copy  # only the whole number 6.2 is renumbered
    with pytest.raises(ValueError, match="not in the text"):
        compose_copy(release, [{"renumber": [["6.2", "5.9"], ["7.7", "8.8"]]}])
    with pytest.raises(ValueError, match="no paragraph contains"):
        compose_copy(release, [{"drop": ["nowhere in the text"]}])
