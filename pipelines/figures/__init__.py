"""Figures (money, percentages, counts, areas, ...) found in article bodies, English and Chinese.

`extract_figures(text, lang)` is the pure function; the processing chain
(pipelines/chain.py) runs it on every article.
The schema of a figure is `crawler.items.Figure`, documented in docs/figures.md.
"""

from .extract import extract_figures

__all__ = ["extract_figures"]
