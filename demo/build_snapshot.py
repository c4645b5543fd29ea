"""Build the offline demo: a WARC snapshot that `yrdnews crawl --replay` crawls.

Three kinds of record go in, each said for what it is in demo/manifest.jsonl:
- real captures: the real pages of tests/fixtures/pages, byte for byte, at their URLs;
- composed article pages: the seed texts and the 40 regional article texts, which exist
  here only as text, published as plain pages (fixtures/compose.py) at their real URLs, and
  the texts composed for stories (demo/corpus/composed-stories.jsonl), at reserved
  `.example` hosts, each page saying that its text is composed too;
- composed discovery pages: for registry sources with demo articles, a feed, sitemap or
  listing at the source's real discovery URL, linking those articles.

Articles whose site is not in the registry (or whose URL a source would not follow)
are listed in demo/urls.txt for `yrdnews crawl --urls`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive import WarcRecorder  # noqa: E402
from crawler.chinese import detect_lang  # noqa: E402
from crawler.dates import parse_date  # noqa: E402
from crawler.sources import Source, load_sources, source_for_url  # noqa: E402
from fixtures.compose import compose_article_html  # noqa: E402
from fixtures.pages import known_url, page_bytes, records  # noqa: E402
from fixtures.texts import composed_articles, corpus_articles, seed_articles  # noqa: E402

HTML_UTF8 = [("Content-Type", "text/html; charset=utf-8")]


@dataclass
class DemoArticle:
    """An article URL the snapshot holds, and what a composed discovery page says of it."""

    url: str
    title: str | None
    published: str | None  # as printed


def rss(source: Source, items: list[DemoArticle]) -> bytes:
    entries = []
    for item in items:
        parsed = parse_date(item.published) if item.published else None
        pub = ""
        if parsed:
            moment = datetime.fromisoformat(parsed if "T" in parsed else parsed + "T00:00:00+08:00")
            pub = f"<pubDate>{format_datetime(moment)}</pubDate>"
        entries.append(
            f"<item><title>{escape(item.title or item.url)}</title><link>{escape(item.url)}</link>{pub}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!-- Composed by yrd-news demo/build_snapshot.py: lists this demo's articles of the source; "
        "not the site's own feed. -->\n"
        f'<rss version="2.0"><channel><title>{escape(source.name)}</title>'
        f"<link>{escape(source.homepage or '')}</link>"
        "<description>Composed for the yrd-news offline demo</description>\n"
        + "\n".join(entries)
        + "\n</channel></rss>\n"
    ).encode("utf-8")


def sitemap(items: list[DemoArticle]) -> bytes:
    urls = []
    for item in items:
        parsed = parse_date(item.published) if item.published else None
        lastmod = f"<lastmod>{parsed[:10]}</lastmod>" if parsed else ""
        urls.append(f"<url><loc>{escape(item.url)}</loc>{lastmod}</url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<!-- Composed by yrd-news demo/build_snapshot.py; not the site's own sitemap. -->\n"
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n"
    ).encode("utf-8")


def listing(source: Source, items: list[DemoArticle]) -> bytes:
    links = "\n".join(
        f'<li><a href="{escape(item.url)}">{escape(item.title or item.url)}</a> {escape(item.published or "")}</li>'
        for item in items
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(source.name)} (composed demo listing)</title>"
        '<meta name="generator" content="yrd-news demo/build_snapshot.py: composed, not the site\'s markup">'
        f"</head><body><ul>\n{links}\n</ul></body></html>\n"
    ).encode()


def discovery_pages(source: Source, items: list[DemoArticle]) -> list[tuple[str, bytes, str]]:
    """Every discovery URL of the source that would lead to some of the items, composed
    to link those items."""
    followed = [i for i in items if source.is_article_url(i.url)]
    pages = []
    if followed:
        pages += [
            (url, rss(source, followed), "application/rss+xml; charset=utf-8")
            for url in source.feeds
        ]
        pages += [
            (url, sitemap(followed), "application/xml; charset=utf-8") for url in source.sitemaps
        ]
    for entry in source.listings:
        linked = [
            i for i in items if source.allows(i.url) and re.search(entry.article_pattern, i.url)
        ]
        if linked:
            pages.append((entry.url, listing(source, linked), "text/html; charset=utf-8"))
    return pages


def build(out_dir: Path) -> dict[str, int]:
    sources = [s for s in load_sources() if s.enabled]
    warc_path = out_dir / "snapshot.warc.gz"
    warc_path.unlink(missing_ok=True)
    recorder = WarcRecorder(warc_path)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest: list[dict[str, str]] = []

    def put(url: str, body: bytes, headers: list[tuple[str, str]], origin: str) -> None:
        recorder.write(url, 200, headers, body, warc_date=stamp)
        manifest.append({"url": url, "origin": origin})

    articles = seed_articles() + corpus_articles() + composed_articles()
    for article in articles:
        html = compose_article_html(
            title=article.title,
            text=article.body,
            published=article.published,
            lang=detect_lang(article.body),
            composed_text=article.composed_from is not None,
        )
        put(article.url, html, HTML_UTF8, article.origin)
    pages = [(url, rec) for rec in records() if (url := known_url(rec))]
    for url, rec in pages:
        # No charset in the header: the pages' own meta tags (some of them wrong) must be dealt with.
        put(
            url,
            page_bytes(rec),
            [("Content-Type", "text/html")],
            f"real capture: tests/fixtures/pages/{rec['file']}",
        )

    demo_items = [DemoArticle(a.url, a.title, a.published) for a in articles] + [
        DemoArticle(url, None, None) for url, _ in pages
    ]
    by_source: dict[str, list[DemoArticle]] = {}
    for item in demo_items:
        source = source_for_url(item.url, sources)
        if source:
            by_source.setdefault(source.id, []).append(item)
    discovered: set[str] = set()
    crawled_sources = []
    for source in sources:
        composed = discovery_pages(source, by_source.get(source.id, []))
        if len(composed) < len(source.feeds) + len(source.sitemaps) + len(source.listings):
            continue  # the demo would miss some of its discovery pages: crawl its articles by URL
        for url, body, content_type in composed:
            put(
                url,
                body,
                [("Content-Type", content_type)],
                f"composed discovery page for source {source.id}",
            )
            discovered.update(
                re.findall(r"(?:<link>|<loc>|href=\")([^<\"]+)", body.decode("utf-8"))
            )
        crawled_sources.append(source.id)
    recorder.close()

    leftovers = [item.url for item in demo_items if escape(item.url) not in discovered]
    (out_dir / "urls.txt").write_text("\n".join(leftovers) + "\n", encoding="utf-8")
    (out_dir / "sources.txt").write_text("\n".join(crawled_sources) + "\n", encoding="utf-8")
    with open(out_dir / "manifest.jsonl", "w", encoding="utf-8") as handle:
        for row in manifest:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {
        "records": len(manifest),
        "articles": len(articles),
        "real_pages": len(pages),
        "sources_discovered": len(crawled_sources),
        "url_list": len(leftovers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "demo", help="folder for snapshot.warc.gz and its lists"
    )
    args = parser.parse_args()
    counts = build(args.out)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()), f"-> {args.out / 'snapshot.warc.gz'}")


if __name__ == "__main__":
    main()
