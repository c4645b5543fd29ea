"""Figures (money, percentages, counts, areas, ...) found in article bodies, English and Chinese.

`extract_figures(text, lang)` is the pure function; `FiguresPipeline` the Scrapy wrapper.
The schema of a figure is `crawler.items.Figure`, documented in docs/figures.md.
"""

from .extract import extract_figures
from .pipeline import FiguresPipeline

__all__ = ["FiguresPipeline", "extract_figures"]
