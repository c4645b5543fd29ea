"""The checks that decide whether the crawl keeps an article: pure functions, each a list of
reasons or a yes/no. The processing chain (pipelines/chain.py) runs them and drops, with a
counted reason, what fails, so a crawl's losses are visible in its run record.

A missing title is not a reason: some real pages print none, and losing their text would
cost researchers more than an empty title column does.
"""

from __future__ import annotations

from crawler.items import Article


def problems(article: Article, *, min_body_chars: int) -> list[str]:
    """Reasons (snake_case) this article should not be stored; empty when it is fine."""
    found = []
    if not article.url.startswith(("http://", "https://")):
        found.append("bad_url")
    if len((article.body or "").strip()) < min_body_chars:
        found.append("short_body")
    return found
