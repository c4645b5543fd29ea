"""Relevance to the project's subject: a score per article with its reasons (docs/stories.md).

`score_relevance(article, source)` is the pure function; articles below the threshold are
kept and flagged, never dropped.
"""

from .score import DEFAULT_THRESHOLD, Reason, Relevance, registry_keyword, score_relevance

__all__ = ["DEFAULT_THRESHOLD", "Reason", "Relevance", "registry_keyword", "score_relevance"]
