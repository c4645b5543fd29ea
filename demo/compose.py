"""Plain HTML pages for demo articles that exist here only as text.

The offline demo publishes the seed texts and the corpus texts at their real URLs. Their
original markup is not available, so each page is composed: UTF-8, a ``<title>``, an
``<h1>``, the date exactly as the source printed it (when known) and one ``<p>`` per
paragraph. Nothing else is added: no invented metadata, and the page says it is composed.
"""

from __future__ import annotations

from html import escape

__all__ = ["compose_article_html", "paragraphs_of"]

COMPOSED_NOTE = "yrd-news demo: composed page, the text is real, the markup is not the site's"


def paragraphs_of(text: str) -> list[str]:
    """Paragraphs of a stored text: every non-blank line, whitespace collapsed.

    Stored texts use blank lines, single newlines or indentation between paragraphs
    interchangeably, so every line is a paragraph.
    """
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def compose_article_html(
    *, title: str | None, text: str, published: str | None = None, lang: str = "en"
) -> bytes:
    """A minimal, honest article page for ``text`` (UTF-8 bytes)."""
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta name="generator" content="{escape(COMPOSED_NOTE)}">',
        f"<!-- {COMPOSED_NOTE} -->",
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    parts += ["</head>", "<body>", "<article>"]
    if title:
        parts.append(f"<h1>{escape(title)}</h1>")
    if published:
        parts.append(f'<p class="published">{escape(published)}</p>')
    parts += [f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs_of(text)]
    parts += ["</article>", "</body>", "</html>", ""]
    return "\n".join(parts).encode("utf-8")
