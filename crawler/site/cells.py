"""How values read in Datasette's HTML: amounts in words, article ids as links, search snippets
with their matches marked. Only the HTML changes; JSON and CSV keep the stored values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from crawler.search import SNIPPET_MARK

SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
UNIT_WORDS = {"km2": "km²", "m3": "m³", "items": "", "%": "%", "pp": "percentage points"}
_MARKED = re.compile(re.escape(SNIPPET_MARK) + "(.+?)" + re.escape(SNIPPET_MARK), re.S)


def format_quantity(value: float | int | None, unit: str | None) -> str | None:
    """A normalised value for reading: 4e12 CNY -> "4 trillion CNY", 12.5 km2 -> "12.5 km²"."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    words = UNIT_WORDS.get(unit or "", unit or "")
    for size, name in SCALES:
        if abs(value) >= size:
            number = f"{value / size:.3g} {name}"
            break
    else:
        number = f"{value:,.2f}".rstrip("0").rstrip(".")
    if words == "%":
        return f"{number}%"
    return f"{number} {words}".strip()


def amount_cell(value: Any, row: Mapping[str, Any]) -> Markup | None:
    """The `normalized` column as words, the stored number kept in the tooltip."""
    unit = row.get("normalized_unit") or row.get("currency")
    text = format_quantity(value, unit)
    if text is None:
        return None
    return Markup('<span class="yrd-amount" title="{}">{}</span>').format(value, text)


def link_cell(href: str, text: Any) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def snippet_cell(value: Any) -> Markup | None:
    """A snippet with its matches between `SNIPPET_MARK`s, as escaped HTML with <mark>s."""
    if not isinstance(value, str) or SNIPPET_MARK not in value:
        return None
    pieces, last = [], 0
    for match in _MARKED.finditer(value):
        pieces.append(escape(value[last : match.start()]))
        pieces.append(Markup("<mark>{}</mark>").format(match.group(1)))
        last = match.end()
    pieces.append(escape(value[last:]))
    return Markup('<span class="yrd-snippet">{}</span>').format(Markup("").join(pieces))
