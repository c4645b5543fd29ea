"""The validate checks: what is dropped, and that every drop is counted by reason."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.items import Article
from pipelines.chain import ChainPipeline
from pipelines.validate import problems

BODY = "Suzhou Industrial Park signed 85 projects worth more than 50 billion yuan this year. " * 2


def article(**changes: object) -> Article:
    fields = {
        "url": "https://example.org/a",
        "canonical_url": "https://example.org/a",
        "title": None,
        "body": BODY,
    }
    return Article(**(fields | changes))


@pytest.mark.parametrize(
    ("changes", "reasons"),
    [
        ({}, []),  # no title is fine: the text is what matters
        ({"body": "Share on WeChat"}, ["short_body"]),
        ({"url": "file:///tmp/a.html"}, ["bad_url"]),
        ({"url": "ftp://x/a", "body": "   "}, ["bad_url", "short_body"]),
    ],
)
def test_problems(changes: dict, reasons: list[str]) -> None:
    assert problems(article(**changes), min_body_chars=80) == reasons


def test_the_pipeline_drops_and_counts_by_reason() -> None:
    crawler = get_crawler(settings_dict={"YRD_MIN_BODY_CHARS": 500})
    crawler.stats.open_spider()
    pipeline = ChainPipeline.from_crawler(crawler)
    pipeline.open_spider()
    with pytest.raises(DropItem, match="short_body"):
        pipeline.process_item(article())
    assert crawler.stats.get_value("yrd/dropped/short_body") == 1
    long_enough = article(body=BODY * 5)
    assert pipeline.process_item(long_enough) is long_enough
