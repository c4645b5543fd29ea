"""Full-text search that finds Chinese: the text the index sees and the query that matches it.

The index (crawler/storage.py) and the Datasette plugin's `yrd_fts_query` both segment here, so
a query is always cut the way the indexed text was. Kept free of the database code, so the
plugin loads only this module.
"""

from __future__ import annotations

import logging

import jieba

from crawler.chinese import has_cjk, to_simplified

jieba.setLogLevel(logging.WARNING)

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
# Segmentation time grows faster than the length on repetitive Chinese (亿亿亿…: 8 ms for 1,000
# characters, 4.5 s for 40,000), and a SQL function cannot be interrupted while it runs, so the
# search words are capped: Datasette's SQL time limit then holds.
MAX_QUERY_CHARS = 1000


def segment(text: str | None) -> str:
    """Text as the full-text index sees it: Chinese split into words by jieba.

    SQLite's unicode61 tokenizer treats a run of Chinese characters as one token, so
    苏州工业园区 would only match itself. Search-mode segmentation also indexes the
    parts of long words (苏州, 工业, 园区), so two-character queries find them.
    """
    if not text:
        return ""
    if not has_cjk(text):
        return text
    # Folded to Simplified first, so 苏州 also finds the Traditional 蘇州.
    return " ".join(token for token in jieba.cut_for_search(to_simplified(text)) if token.strip())


def fts_query(query: str | None) -> str:
    """A user's search words as a safe FTS5 query: segmented like the index, every
    token quoted (so punctuation is never FTS syntax), all required.

    Raises ValueError for more than `MAX_QUERY_CHARS` characters (or a value that is not text),
    which SQLite reports as an error of the statement.
    """
    if query is None:
        return ""
    if not isinstance(query, str):
        raise ValueError(f"search words must be text, not {type(query).__name__}")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(
            f"search words are limited to {MAX_QUERY_CHARS:,} characters (got {len(query):,})"
        )
    tokens = segment(query).replace('"', " ").split()
    return " ".join(f'"{token}"' for token in tokens if any(ch.isalnum() for ch in token))
