"""Score story pairing and relevance against the hand-labelled set in
tests/fixtures/stories/stories-gold.json (how it was built: tests/fixtures/stories/README.md),
read through the fixtures package.

    python bench/stories_eval.py [--check] [--verbose]

Every labelled article (the 40 corpus texts, the five seeds, the 25 real captured pages the
demo crawls and the texts composed for stories in demo/corpus/composed-stories.jsonl) goes
through what a crawl does with it: the processing chain (figures, entities, relevance), the store (a fresh SQLite file), then
`update_stories` over the lot.

Pairing is scored over every pair of labelled articles, so a false merge anywhere counts:
a pair is predicted "story" when both articles are in one story, "link" when their stories
are linked across languages, and it is right when the gold says the same (copies -> story;
an English and a Chinese article of one event -> link). Precision = right predictions /
predictions; recall = right predictions / gold pairs. Relevance: precision and recall of
"relevant" at the default threshold. Both are printed for the development part, the
held-out part (articles kept aside before any tuning; a pair is held out when either of its
articles is) and the whole set, then for the real texts alone and for what involves a composed
text (a pair with one, a composed article's relevance), with the labelled pairs by category.

--check exits 1 unless pairing P and R >= 0.95 and relevance P and R >= 0.90 on the whole set.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.crawl import project_settings  # noqa: E402
from crawler.db import open_db, sync_sources  # noqa: E402
from crawler.items import Article  # noqa: E402
from crawler.pages import extract_article  # noqa: E402
from crawler.sources import load_sources, source_for_url  # noqa: E402
from crawler.storage import store_article  # noqa: E402
from fixtures.pages import known_url, page_bytes, records  # noqa: E402
from fixtures.texts import (  # noqa: E402
    as_article,
    composed_articles,
    corpus_articles,
    seed_articles,
    story_gold,
)
from pipelines.chain import ChainContext, run_chain  # noqa: E402
from pipelines.stories import update_stories  # noqa: E402

PAIRING_TARGET, RELEVANCE_TARGET = 0.95, 0.90


def labelled_articles() -> dict[str, Article]:
    """Every labelled article by its gold id: the corpus and composed texts by their ids, the
    seeds as seed-NNN in seeds.json's order, the real pages as page:<file>."""
    found = {t.id: as_article(t) for t in (*corpus_articles(), *composed_articles())}
    found |= {f"seed-{i:03d}": as_article(t) for i, t in enumerate(seed_articles())}
    for rec in records():
        url = known_url(rec)
        if url:
            found[f"page:{rec['file']}"] = extract_article(page_bytes(rec), url)
    return found


def analyse(articles: dict[str, Article], ctx: ChainContext) -> None:
    """The processing chain, as a crawl runs it (a crawl assigns the source first)."""
    registry = list(ctx.sources.values())
    for article in articles.values():
        source = source_for_url(article.url, registry)
        article.source_id = source.id if source else "other"
        run_chain(article, ctx)


def predicted_pairs(db_path: Path, ids: dict[str, int]) -> dict[frozenset[str], str]:
    db = open_db(db_path)
    story = dict(db.execute("select article_id, story_id from story_articles").fetchall())
    links = {frozenset(r) for r in db.execute("select en_story_id, zh_story_id from story_links")}
    found = {}
    for a, b in itertools.combinations(sorted(ids), 2):
        sa, sb = story[ids[a]], story[ids[b]]
        if sa == sb:
            found[frozenset((a, b))] = "story"
        elif frozenset((sa, sb)) in links:
            found[frozenset((a, b))] = "link"
    return found


def gold_pairs(gold: dict, lang: dict[str, str]) -> dict[frozenset[str], str]:
    pairs = {}
    for group in gold["events"].values():
        for a, b in itertools.combinations(group, 2):
            if {lang[a], lang[b]} == {"en", "zh"}:
                pairs[frozenset((a, b))] = "link"
    for group in gold["copies"]:
        for a, b in itertools.combinations(group, 2):
            pairs[frozenset((a, b))] = "story"
    return pairs


def _pr(right: int, predicted: int, gold: int) -> tuple[float, float]:
    return (right / predicted if predicted else 1.0, right / gold if gold else 1.0)


def pairing_scores(predicted: dict, gold: dict, keep) -> tuple[float, float, int, int]:
    pred = {p: k for p, k in predicted.items() if keep(p)}
    want = {p: k for p, k in gold.items() if keep(p)}
    right = sum(1 for p, k in pred.items() if want.get(p) == k)
    return (*_pr(right, len(pred), len(want)), len(pred), len(want))


def relevance_scores(flags: dict[str, bool], gold: dict, ids: list[str]) -> tuple[float, float]:
    predicted = [i for i in ids if flags[i]]
    wanted = [i for i in ids if gold["relevant"][i]["relevant"]]
    right = sum(1 for i in predicted if gold["relevant"][i]["relevant"])
    return _pr(right, len(predicted), len(wanted))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 below the targets")
    ap.add_argument("--verbose", action="store_true", help="print every wrong pair and flag")
    args = ap.parse_args(argv)
    gold = story_gold()
    articles = labelled_articles()
    missing = sorted(set(gold["relevant"]) - set(articles))
    if missing:
        print(f"labelled ids without an article: {missing}")
        return 1
    ctx = ChainContext.from_settings(project_settings())
    analyse(articles, ctx)
    kinds = {source.id: source.kind for source in load_sources()}
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "stories.db"
        db = open_db(db_path)
        sync_sources(db, list(ctx.sources.values()))
        for article in articles.values():
            store_article(db, article, kind=kinds.get(article.source_id or ""))
        started = time.perf_counter()
        report = update_stories(db)
        seconds = time.perf_counter() - started
        ids = {key: article.id for key, article in articles.items()}
        predicted = predicted_pairs(db_path, ids)
        stored = {
            r["id"]: r
            for r in db.query("select id, relevance, relevant, relevance_reasons from articles")
        }
    held = set(gold["held_out"])
    composed = {t.id for t in composed_articles()}
    lang = {key: article.lang for key, article in articles.items()}
    wanted = gold_pairs(gold, lang)
    print(
        f"{len(articles)} articles -> {report.stories} stories "
        f"({report.exact} exact and {report.near} near copies), {report.links} links; "
        f"update_stories took {seconds:.2f} s"
    )
    print(f"{'pairing':<22} {'P':>6} {'R':>6} {'pred':>5} {'gold':>5}")
    splits = {
        "development": lambda p: not (p & held),
        "held-out": lambda p: bool(p & held),
        "all": lambda p: True,
        "real texts only": lambda p: not (p & composed),
        "with a composed text": lambda p: bool(p & composed),
    }
    results = {}
    for name, keep in splits.items():
        results[name] = p, r, n_pred, n_gold = pairing_scores(predicted, wanted, keep)
        print(f"{name:<22} {p:6.3f} {r:6.3f} {n_pred:5d} {n_gold:5d}")
    print("labelled pairs by category (right / pairs):")
    by_category: Counter[tuple[str, bool]] = Counter()
    for pair in gold["pairs"]:
        key = frozenset((pair["a"], pair["b"]))
        ok = predicted.get(key) == wanted.get(key)
        by_category[(pair["category"], ok)] += 1
        if args.verbose and not ok:
            print(f"  WRONG {pair['category']}: {pair['a']} / {pair['b']} -> {predicted.get(key)}")
    for category in dict.fromkeys(p["category"] for p in gold["pairs"]):
        right, total = (
            by_category[(category, True)],
            by_category[(category, True)] + by_category[(category, False)],
        )
        print(f"  {category:<20} {right}/{total}")
    if args.verbose:
        for pair, kind in predicted.items():
            if wanted.get(pair) != kind:
                print(f"  FALSE {kind}: {' / '.join(sorted(pair))}")
        for pair, kind in wanted.items():
            if predicted.get(pair) != kind:
                print(f"  MISSED {kind}: {' / '.join(sorted(pair))}")
    flags = {key: bool(stored[ids[key]]["relevant"]) for key in articles}
    if args.verbose:
        for key in articles:
            if flags[key] != gold["relevant"][key]["relevant"]:
                row = stored[ids[key]]
                print(f"  RELEVANCE {key}: score {row['relevance']} {row['relevance_reasons']}")
    threshold = f"relevance (threshold {ctx.relevance_threshold})"
    print(f"{threshold:<22} {'P':>6} {'R':>6} {'n':>5}")
    rel_results = {}
    for name, chosen in {
        "development": [k for k in gold["relevant"] if k not in held],
        "held-out": [k for k in gold["relevant"] if k in held],
        "all": list(gold["relevant"]),
        "real texts only": [k for k in gold["relevant"] if k not in composed],
        "composed texts": [k for k in gold["relevant"] if k in composed],
    }.items():
        rel_results[name] = p, r = relevance_scores(flags, gold, chosen)
        print(f"{name:<22} {p:6.3f} {r:6.3f} {len(chosen):5d}")
    if args.check:
        pp, pr = results["all"][:2]
        rp, rr = rel_results["all"]
        ok = min(pp, pr) >= PAIRING_TARGET and min(rp, rr) >= RELEVANCE_TARGET
        print(f"check: {'passed' if ok else 'FAILED'}")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
