"""An article's text analysed once and shared by every extractor.

Figures, entities and (later) relevance and stories all need the same things from a body: its
Traditional characters folded to Simplified and its sentences. `ArticleText` computes each on
first use and keeps it, so a step of the processing chain never redoes another step's work.
The article's date travels with it, so relative periods ("last year", 上年) can be resolved.
"""

from __future__ import annotations

from functools import cached_property

from crawler.chinese import to_simplified
from crawler.sentences import SentenceIndex


class ArticleText:
    """A body with its language hint and publication date; derived views computed once."""

    def __init__(self, body: str, lang: str | None = None, published_at: str | None = None) -> None:
        self.body = body or ""
        self.lang = lang
        self.published_at = published_at

    @classmethod
    def of(cls, text: str | ArticleText, lang: str | None = None) -> ArticleText:
        """`text` itself when it is already analysed, else a new analysis of the string."""
        return text if isinstance(text, ArticleText) else cls(text, lang)

    @cached_property
    def simplified(self) -> str:
        """Traditional folded to Simplified, one character for one: offsets hold for both."""
        return to_simplified(self.body)

    @cached_property
    def sentences(self) -> SentenceIndex:
        """Sentence spans of the folded text (the same spans as of the body)."""
        return SentenceIndex(self.simplified)
