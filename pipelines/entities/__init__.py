"""People (with titles and roles), organisations, places linked to GB/T 2260 codes, and industry
tags, found in article bodies with patterns and gazetteers — no downloadable model.

`extract_entities(text, lang)` is the pure function; the processing chain
(pipelines/chain.py) runs it on every article.
The schema is `crawler.items.Entity` / `Mention`, documented in docs/entities.md.
"""

from .extract import extract_entities

__all__ = ["extract_entities"]
