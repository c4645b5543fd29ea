"""The article page: the stored body as paragraphs with every stored figure and entity
marked where it was found, so a reader sees the provenance of each number and name.

The body is plain text extracted from the page and is escaped here; no markup from a crawled
page ever reaches the article page (the raw capture is served apart, sandboxed)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

PARAGRAPH_BREAK = re.compile(r"\n[ \t\u3000]*\n\s*")


@dataclass(frozen=True)
class Span:
    """A stretch of the body to mark: `start`/`end` are offsets into the body."""

    start: int
    end: int
    css_class: str
    href: str
    tooltip: str
    anchor: str | None = None


def paragraph_ranges(body: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph; paragraphs are separated by blank lines."""
    ranges, start = [], 0
    for match in PARAGRAPH_BREAK.finditer(body):
        if match.start() > start:
            ranges.append((start, match.start()))
        start = match.end()
    if start < len(body):
        ranges.append((start, len(body)))
    return ranges


def choose_spans(body_length: int, *layers: Iterable[Span]) -> list[Span]:
    """Spans that do not overlap, earlier layers first (figures win over entities)."""
    taken: list[Span] = []
    for layer in layers:
        for span in sorted(layer, key=lambda s: (s.start, -s.end)):
            if not 0 <= span.start < span.end <= body_length:
                continue  # offsets from an older extraction of another text
            if any(span.start < t.end and t.start < span.end for t in taken):
                continue
            taken.append(span)
    return sorted(taken, key=lambda s: s.start)


def _render(text: str, offset: int, spans: list[Span]) -> Markup:
    pieces, last = [], offset
    for span in spans:
        pieces.append(escape(text[last - offset : span.start - offset]))
        anchor = Markup(' id="{}"').format(span.anchor) if span.anchor else Markup("")
        pieces.append(
            Markup('<a class="{}" href="{}" title="{}"{}>{}</a>').format(
                span.css_class,
                span.href,
                span.tooltip,
                anchor,
                text[span.start - offset : span.end - offset],
            )
        )
        last = span.end
    pieces.append(escape(text[last - offset :]))
    return Markup("<br>").join(Markup("").join(pieces).split("\n"))


def marked_paragraphs(body: str, spans: list[Span]) -> list[Markup]:
    """The body as escaped paragraphs with `spans` (already free of overlaps) as links.
    A span that crosses a paragraph break is left unmarked."""
    paragraphs = []
    for start, end in paragraph_ranges(body):
        inside = [s for s in spans if start <= s.start and s.end <= end]
        paragraphs.append(_render(body[start:end], start, inside))
    return paragraphs
