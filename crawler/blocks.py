"""A page's visible text as blocks in document order, and the article's full extent in them.

trafilatura finds the main text well but leaves parts of it out: photo captions (``<figure>``),
and paragraphs whose text repeats elsewhere on the page (Xinhua repeats a gallery's captions
and a lead paragraph). `article_blocks` maps trafilatura's paragraphs back onto the page's own
blocks, takes the element that holds them (the article container), and keeps, in page order,
the container's blocks that sit beside them (same parent or grandparent) between the first and
the last, the first text after an image there, and every caption in a ``<figure>`` of the
container, minus link lists, navigation and forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

__all__ = [
    "INVISIBLE",
    "Block",
    "PageText",
    "read_page",
    "visible_strings",
    "article_blocks",
    "squash",
]

INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "select", "textarea"})
# Elements that start a new paragraph; <br> ends a line (trafilatura splits there too).
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "center",
        "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li",
        "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_NAVIGATION_TAGS = frozenset({"nav", "aside", "form", "button", "footer", "header"})
_MATCHED_SHARE = 0.8  # of trafilatura's text that must be found in blocks to use them
_CONTAINER_SHARE = 0.9  # of the matched text the container must hold
_LINK_DENSITY = 0.5


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph of visible text and the block element it sits in."""

    text: str
    owner: etree._Element
    link_chars: int
    figure: bool  # in a <figure> or <figcaption>
    after_image: bool  # the first text after an <img>

    @property
    def link_density(self) -> float:
        return self.link_chars / max(1, len(self.text))


# Characters that print nothing: soft hyphens and zero-width marks, which editors leave in
# ("1\u00ad\u00ad—4月") and trafilatura takes out; taken out with a pattern, since
# str.translate looks every character up (twice as slow on Chinese text).
_INVISIBLE_CHARS = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]+")


def squash(text: str) -> str:
    """Whitespace (ideographic spaces too) collapsed, invisible marks out: how text is stored."""
    if not text.isascii():  # ASCII holds neither (most of an English page's strings)
        text = _INVISIBLE_CHARS.sub("", text.replace("\u3000", " "))
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class PageText:
    """The visible text of an element: its text nodes, and the same text as blocks."""

    strings: list[str]
    blocks: list[Block]


def read_page(root: etree._Element) -> PageText:
    """One walk over ``root``: its visible text nodes in document order (scripts, styles and
    ``<head>`` left out), and that text cut into paragraphs at block elements and ``<br>``."""
    strings: list[str] = []
    blocks: list[Block] = []
    owners: list[etree._Element] = [root]
    parts: list[str] = []
    link_chars = links_open = figures_open = 0
    after_image = False

    def flush() -> None:
        nonlocal parts, link_chars, after_image
        text = squash("".join(parts))
        if text:
            owner = owners[-1]
            figure = figures_open > 0
            blocks.append(Block(text, owner, min(link_chars, len(text)), figure, after_image))
            after_image = False
        parts, link_chars = [], 0

    def add(text: str | None) -> None:
        nonlocal link_chars
        if text:
            strings.append(text)
            parts.append(text)
            if links_open:
                link_chars += len(text.strip())

    walk = etree.iterwalk(root, events=("start", "end"))
    for event, element in walk:
        tag = element.tag
        if not isinstance(tag, str):  # a comment or processing instruction the parser kept
            if event == "end" and element is not root:
                add(element.tail)
            continue
        if event == "start":
            if tag in INVISIBLE:
                walk.skip_subtree()
                continue
            if tag in _BLOCK_TAGS:
                flush()
                owners.append(element)
                if tag in ("figure", "figcaption"):
                    figures_open += 1
            elif tag == "a":
                links_open += 1
            elif tag == "img":
                flush()
                after_image = True
            add(element.text)
            continue
        if tag in _BLOCK_TAGS:
            flush()
            owners.pop()
            if tag in ("figure", "figcaption"):
                figures_open -= 1
        elif tag == "a":
            links_open -= 1
        if element is not root:
            add(element.tail)
    flush()
    return PageText(strings, blocks)


def visible_strings(root: etree._Element) -> list[str]:
    """Every visible text node of ``root``, in document order."""
    return read_page(root).strings


def _key(text: str) -> str:
    """A block's text for matching: no spaces, no invisible marks, no "- " of trafilatura's
    list items."""
    text = text.removeprefix("- ")
    if not text.isascii():  # as in `squash`: ASCII holds no invisible marks
        text = _INVISIBLE_CHARS.sub("", text)
    return "".join(text.split())


def _match(lines: list[str], blocks: list[Block]) -> dict[int, int]:
    """Block index for each trafilatura line found as a whole block.

    A text the page holds once places the container; a repeated text (a teaser above the
    article, a caption under several photos) then takes its copies inside the container,
    in page order.
    """
    where: dict[str, list[int]] = {}
    for index, block in enumerate(blocks):
        where.setdefault(_key(block.text), []).append(index)
    keys = [_key(line) for line in lines]
    unique = {n: where[k][0] for n, k in enumerate(keys) if len(where.get(k, ())) == 1}
    container = _container(blocks[i] for i in unique.values()) if unique else None
    matched: dict[int, int] = {}
    used: set[int] = set()
    last = -1
    for number, key in enumerate(keys):
        candidates = [i for i in where.get(key, ()) if i not in used]
        if container is not None and len(candidates) > 1:
            inside = [i for i in candidates if _inside(blocks[i].owner, container)]
            candidates = inside or candidates
        if not candidates:
            continue
        later = [i for i in candidates if i > last]
        chosen = later[0] if later else candidates[0]
        matched[number] = chosen
        used.add(chosen)
        last = max(last, chosen)
    return matched


def _container(anchors: Iterable[Block]) -> etree._Element | None:
    """The deepest element holding nearly all of the anchors' text.

    Each element's parent is asked once (anchors are mostly siblings: a walk up stops at the
    first element seen already), and the elements are kept, so lxml makes no new proxy
    objects for them as the weights are summed.
    """
    own: dict[etree._Element, int] = {}
    total = 0
    for block in anchors:
        total += len(block.text)
        own[block.owner] = own.get(block.owner, 0) + len(block.text)
    parent: dict[etree._Element, etree._Element | None] = {}
    for element in own:
        node: etree._Element | None = element
        while node is not None and node not in parent:
            above = node.getparent()
            parent[node] = above
            node = above
    weight: dict[etree._Element, int] = {}
    for element, chars in own.items():
        node = element
        while node is not None:
            weight[node] = weight.get(node, 0) + chars
            node = parent[node]
    # The qualified elements hold nearly all of the text each: one lies inside the next.
    qualified = [e for e, w in weight.items() if w >= _CONTAINER_SHARE * total]
    return max(qualified, key=lambda e: _depth(e, parent)) if qualified else None


def _depth(element: etree._Element, parent: dict[etree._Element, etree._Element | None]) -> int:
    depth = 0
    while (element := parent[element]) is not None:
        depth += 1
    return depth


def _inside(element: etree._Element, container: etree._Element) -> bool:
    return element is container or any(a is container for a in element.iterancestors())


def _in_navigation(element: etree._Element, container: etree._Element) -> bool:
    """True when a navigation, form or aside element lies between ``element`` and the container."""
    for node in (element, *element.iterancestors()):
        if node is container:
            return False
        if node.tag in _NAVIGATION_TAGS:
            return True
    return False


def _near(block: Block, parents: set[etree._Element]) -> bool:
    """True when the block sits where the anchors sit: its element, parent or grandparent
    is the parent of an anchor (a caption's <figcaption> in a <figure> among the <p>s)."""
    node: etree._Element | None = block.owner
    for _ in range(3):
        if node is None:
            return False
        if node in parents:
            return True
        node = node.getparent()
    return False


def article_blocks(lines: list[str], blocks: list[Block]) -> list[str] | None:
    """The article's paragraphs in page order, or None when trafilatura's lines do not map
    onto the page's blocks (then its lines are the body as they are)."""
    matched = _match(lines, blocks)
    found = sum(len(lines[n]) for n in matched)
    if not matched or found < _MATCHED_SHARE * sum(len(line) for line in lines):
        return None
    anchors = sorted(matched.values())
    container = _container(blocks[i] for i in anchors)
    if container is None:
        return None
    parents = {p for i in anchors if (p := blocks[i].owner.getparent()) is not None}
    inside = set(container.iter())
    first, last = anchors[0], anchors[-1]
    chosen = set(anchors)
    for index, block in enumerate(blocks):
        if index in chosen or block.owner not in inside:
            continue
        if block.link_density > _LINK_DENSITY or _in_navigation(block.owner, container):
            continue
        if block.figure or (_near(block, parents) and (first < index < last or block.after_image)):
            chosen.add(index)
    # trafilatura lines that are no page block (text it joined or cut) keep their place
    # after the block of the line before them.
    order = sorted(chosen)
    position = {index: rank for rank, index in enumerate(order)}
    placed = [(rank, 0, blocks[index].text) for rank, index in enumerate(order)]
    previous = -1
    for number, line in enumerate(lines):
        if number in matched:
            previous = position[matched[number]]
        else:
            placed.append((previous, number + 1, line))
    return [text for *_, text in sorted(placed)]
