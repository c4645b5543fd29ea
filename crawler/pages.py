"""The article page object: saved bytes (+ URL and headers) -> `Article`, no engine needed.

Metadata comes, in order of trust, from the page's own structured data (JSON-LD, OpenGraph,
``<meta>`` tags such as people.cn's ``publishdate``, a CMS's property comment), then labelled
dates and bylines in the visible text, then htmldate and the markup's author elements, and
for the date the URL path before a date printed in free text (a photo caption). The body is
trafilatura's main text, widened to the article's full extent on the page (crawler/blocks.py)
and cleaned of site furniture (crawler/furniture.py), unless the source registry gives a CSS
selector for it. Timestamps always carry their UTC offset.

Each field is computed once per page (``cached_property``) from one parse tree, which nothing
here modifies; `to_article` reads the cached fields.

Body format: one paragraph per block, paragraphs separated by a blank line (``"\\n\\n"``), each
paragraph on one line with its whitespace collapsed. Offsets of figures and mentions index
into exactly this string.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

import htmldate
import lxml.html
import trafilatura
from lxml import etree
from lxml.etree import ParserError

from crawler.blocks import (
    INVISIBLE,
    PageText,
    article_blocks,
    read_page,
    squash,
    visible_strings,
)
from crawler.chinese import cjk_share, has_cjk
from crawler.dates import (
    date_from_url,
    days_printed,
    find_date_in_text,
    find_dateline,
    parse_date,
    prints_day,
    top_date,
    with_offset,
)
from crawler.encoding import decode_html
from crawler.furniture import byline_author, clean_paragraphs, is_furniture
from crawler.items import Article
from crawler.sniff import (
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_HTML_BYTES,
    NotAnArticle,
    check_bytes,
    check_text,
    check_tree,
)
from crawler.urls import canonical_url

__all__ = ["NotAnArticle", "ArticlePage", "extract_article", "normalize_url", "clean_title"]

SELECTOR_KEYS = frozenset({"title", "body", "published", "author"})
DEFAULT_TZ = "+08:00"
_BYLINE_REACH = 300  # characters under the headline where a byline may stand
_AUTHOR_MAX = 40


def _has_class(*names: str) -> str:
    """An XPath test that an element's class attribute lists one of ``names``; the plain
    substring test first, as most classes fail it and the padded copy costs more."""
    padded = "concat(' ', normalize-space(.), ' ')"
    tests = (f"(contains(., '{name}') and contains({padded}, ' {name} '))" for name in names)
    return f"@class[{' or '.join(tests)}]"


# Markup that marks an element as the author's name (the first on the page counts).
_AUTHOR_MARKUP = etree.XPath(
    "//*[@itemprop='author' or @rel='author' or "
    f"{_has_class('author', 'byline', 'author-name', 'writer')}]"
)
_AUTHOR_NAME = f".//*[@itemprop='name' or {_has_class('name')}]"


def _header(headers: Mapping[Any, Any] | None, name: str) -> str | None:
    """A header value from a plain dict or Scrapy ``Headers`` (bytes keys, list values)."""
    if not headers:
        return None
    for key, value in headers.items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() != name:
            continue
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        return str(value) if value is not None else None
    return None


def normalize_url(url: str) -> str:
    """The canonical form of an address (crawler/urls.py): trackers and fragment dropped."""
    return canonical_url(url)


# Trailing title segments that name the site or a channel, not the story.
_DOMAIN = re.compile(r"\.(?:com|cn|net|org|gov)\b", re.I)
_SITE_WORDS = re.compile(
    rf"网$|网站|频道|首页|门户|新闻中心|日报$|晚报$|{_DOMAIN.pattern}|Daily|Xinhua|Times|Post|News$",
    re.I,
)
_TITLE_SPLIT = re.compile(r"(\s+[-|–—]\s+|\s*_\s*|--|-|\s*\|\s*)")
_STARTS_WITH_SEPARATOR = re.compile(r"\s*(?:[-_|–—]|::)")


def clean_title(
    title: str | None, hints: Iterable[str | None] = (), site_name: str | None = None
) -> str | None:
    """Strip site and channel suffixes ("_数据_宏观频道首页_财经网", " - Chinadaily.com.cn").

    A hint (og:title, JSON-LD headline, ``<h1>``) that the raw title starts with is taken as
    the real headline; otherwise trailing segments are dropped while they look like names of
    the site or its channels.
    """
    if not title:
        return None
    title = " ".join(title.split())
    for hint in hints:
        hint = " ".join((hint or "").split())
        if len(hint) >= 4 and title.startswith(hint) and len(hint) < len(title):
            rest = title[len(hint) :]
            if _STARTS_WITH_SEPARATOR.match(rest):
                return hint
    pieces = _TITLE_SPLIT.split(title)
    # pieces alternate text, separator, text, ...; drop site-like tails from the right.
    site = (site_name or "").casefold()
    stripped = False
    while len(pieces) >= 3:
        tail, separator = pieces[-1].strip(), pieces[-2].strip()
        is_site = bool(_SITE_WORDS.search(tail)) or bool(site and tail.casefold() in site)
        if separator == "-" and not (has_cjk(tail) or _DOMAIN.search(tail)):
            is_site = False  # a bare hyphen inside English words ("fitness-conscious")
        # A short channel name between the headline and the site ("_数据_", "--健康·生活--").
        is_channel = stripped and len(tail) <= 6 and separator in {"_", "--"} and has_cjk(tail)
        if not (is_site or is_channel) or len(tail) > 40:
            break
        pieces = pieces[:-2]
        stripped = True
    cleaned = "".join(pieces).strip()
    return cleaned or title


_COPYRIGHT = re.compile(r"\s*(?:版权所有|all rights reserved\.?)\s*$", re.I)
_AUTHOR_LABEL = re.compile(r"^(?:作者|记者|本报记者|文|by)\s*[:：/]?\s*", re.I)
_EDITOR_LABEL = re.compile(r"^(?:选稿|编辑|责任编辑|责编)\s*[:：]")  # editors, not authors
_AUTHOR_TAIL = re.compile(r"\s*(?:关注|\+\s*关注|follow)$", re.I)
_NOT_AUTHORS = {"字号", "分享", "关注", "admin", "editor", "来源"}


def _clean_author(text: str | None) -> str | None:
    """A byline without its label and widget words; None for ids, URLs and UI labels."""
    text = _squash(text)
    if not text or _EDITOR_LABEL.match(text):
        return None
    text = _AUTHOR_TAIL.sub("", _AUTHOR_LABEL.sub("", text)).strip()
    if not text or text.casefold() in _NOT_AUTHORS or len(text) > 80:
        return None
    if text.isdigit() or text.startswith(("http:", "https:", "/")):
        return None
    return text


def _squash(text: str | None) -> str | None:
    return (squash(text) or None) if text else None


def _paragraphs(lines: Iterable[str]) -> str:
    return "\n\n".join(p for p in (_squash(line) for line in lines) if p)


_CMS_COMMENT = re.compile(r"<!--\s*enpproperty\b(.{0,4000}?)/enpproperty\s*-->", re.S)
_CMS_FIELD = re.compile(r"<(title|date|author)>([^<]{0,300})</\1>")


def _squash_pair(pair: tuple[str, str]) -> tuple[str, str | None]:
    return pair[0], _squash(html.unescape(pair[1]))


_JSONLD_SCRIPTS = etree.XPath('//script[contains(translate(@type,"LDJSON","ldjson"),"ld+json")]')
_CANONICAL_LINKS = etree.XPath('//link[@rel="canonical"]')


def _jsonld_objects(tree: lxml.html.HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, @graph and lists flattened; bad JSON skipped."""
    found: list[dict[str, Any]] = []
    for script in _JSONLD_SCRIPTS(tree):
        raw = (script.text or "").strip()
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                if "@graph" in item:
                    stack.append(item["@graph"])
    return found


_ARTICLE_TYPES = {"article", "newsarticle", "reportagenewsarticle", "blogposting", "report",
                  "analysisnewsarticle", "opinionnewsarticle", "webpage", "pressrelease"}  # fmt: skip


def _ld_text(value: Any) -> str | None:
    """A string from a JSON-LD value that may be a string, an object with a name, or a list."""
    if isinstance(value, str):
        return _squash(value)
    if isinstance(value, dict):
        return _ld_text(value.get("name") or value.get("@id") or value.get("url"))
    if isinstance(value, list):
        names = [name for name in (_ld_text(v) for v in value) if name]
        return ", ".join(dict.fromkeys(names)) or None
    return None


class ArticlePage:
    """One cached property per Article field, computed lazily from the page's bytes.

    ``selectors`` (keys among title, body, published, author) are a source's CSS selectors,
    tried before the generic rules; ``date_format`` is its ``strptime`` format for printed
    dates. ``max_bytes``, ``max_elements`` and ``max_depth`` bound the work on hostile pages
    (defaults in crawler/sniff.py); a page beyond them is `NotAnArticle`.
    """

    def __init__(
        self,
        body: bytes,
        url: str,
        headers: Mapping[Any, Any] | None = None,
        *,
        selectors: Mapping[str, str] | None = None,
        date_format: str | None = None,
        max_bytes: int = MAX_HTML_BYTES,
        max_elements: int = MAX_ELEMENTS,
        max_depth: int = MAX_DEPTH,
    ) -> None:
        unknown = set(selectors or {}) - SELECTOR_KEYS
        if unknown:
            raise ValueError(f"unknown selector keys: {sorted(unknown)}")
        content_type = _header(headers, "content-type")
        check_bytes(body, content_type, max_bytes)
        self.url = url
        self.selectors = dict(selectors or {})
        self.date_format = date_format
        self.max_elements = max_elements
        self.max_depth = max_depth
        self.text, self.codec = decode_html(body, content_type)
        check_text(self.text)

    @classmethod
    def from_response(cls, response: Any, **kwargs: Any) -> ArticlePage:
        """Build from a Scrapy ``Response`` (or anything with body, url, headers)."""
        return cls(response.body, response.url, response.headers, **kwargs)

    # --- parsed views -------------------------------------------------------------------

    @cached_property
    def tree(self) -> lxml.html.HtmlElement:
        """The page's one parse tree; read by everything here, modified by nothing."""
        tree = parse_html(self.text)
        check_tree(tree, self.max_elements, self.max_depth)
        return tree

    @cached_property
    def page_text(self) -> PageText:
        """The page's visible text nodes and blocks, from one walk over the tree."""
        return read_page(self.tree)

    @cached_property
    def visible_text(self) -> str:
        """The page's visible text, one line per text node (scripts, styles, head left out)."""
        return "\n".join(filter(None, map(squash, self.page_text.strings)))

    @cached_property
    def meta(self) -> dict[str, str]:
        """First non-empty content of every ``<meta>`` by lower-cased name/property/itemprop."""
        found: dict[str, str] = {}
        for node in self.tree.iter("meta"):
            key = node.get("property") or node.get("name") or node.get("itemprop")
            value = _squash(node.get("content"))
            if key and value:
                found.setdefault(key.strip().lower(), value)
        return found

    @cached_property
    def cms(self) -> dict[str, str]:
        """The article properties a CMS left in an HTML comment (``<!--enpproperty <date>…
        <title>…</title> …-->``, on china.org.cn, china.com.cn, gmw.cn, kepu.gov.cn)."""
        match = _CMS_COMMENT.search(self.text)
        if match is None:
            return {}
        fields = _CMS_FIELD.findall(match.group(1))
        return {name: value for name, value in map(_squash_pair, fields) if value}

    @cached_property
    def jsonld(self) -> dict[str, Any]:
        """The page's main JSON-LD article object (or an empty dict)."""
        objects = _jsonld_objects(self.tree)
        for wanted in (_ARTICLE_TYPES - {"webpage"}, {"webpage"}):
            for item in objects:
                types = item.get("@type")
                types = types if isinstance(types, list) else [types]
                if any(isinstance(t, str) and t.lower() in wanted for t in types):
                    return item
        return {}

    @cached_property
    def extracted(self) -> Any:
        """trafilatura's main text, or None.

        trafilatura copies the tree it is given before pruning it (2.x), so ours stays whole.
        Its metadata pass is left out: the fields here come from the page's own markup, and the
        pass took a fifth of the page object's time.
        """
        tree = self.tree  # outside the try: a page over the limits is no article
        try:
            return trafilatura.bare_extraction(
                tree,
                url=self.url,
                with_metadata=False,
                include_comments=False,
                include_tables=True,
            )
        except Exception:  # trafilatura can fail on odd trees; the page may still have a body
            return None

    def _select(self, key: str) -> list[lxml.html.HtmlElement]:
        selector = self.selectors.get(key)
        if not selector:
            return []
        tree = self.tree
        try:
            nodes = tree.cssselect(selector)
        except Exception:  # a bad selector in the registry must not lose the article
            return []
        return [node for node in nodes if not _hidden(node)]

    def _selected_text(self, key: str) -> str | None:
        nodes = self._select(key)
        text = " ".join(s for node in nodes for s in visible_strings(node))
        return _squash(text) if nodes else None

    def _meta(self, *names: str) -> str | None:
        for name in names:
            if self.meta.get(name):
                return self.meta[name]
        return None

    @cached_property
    def _h1(self) -> list[str]:
        texts = (_squash(" ".join(visible_strings(h))) for h in self.tree.iter("h1"))
        return [text for text in texts if text]

    # --- fields ----------------------------------------------------------------------------

    @cached_property
    def canonical_url(self) -> str:
        candidates = [
            *(link.get("href") for link in _CANONICAL_LINKS(self.tree)),
            self._meta("og:url"),
            _ld_text(self.jsonld.get("url")),
            _ld_text(self.jsonld.get("mainEntityOfPage")),
        ]
        own_path = urlsplit(self.url).path.strip("/")
        for candidate in candidates:
            if not candidate or not candidate.strip():
                continue
            absolute = urljoin(self.url, candidate.strip())
            parts = urlsplit(absolute)
            if parts.scheme not in {"http", "https"}:
                continue
            if own_path and not parts.path.strip("/"):
                continue  # a home page given as canonical (china.com.cn does this): ignore
            return normalize_url(absolute)
        return normalize_url(self.url)

    @cached_property
    def site_name(self) -> str | None:
        name = self._meta("og:site_name", "application-name", "sitename") or _ld_text(
            self.jsonld.get("publisher")
        )
        # trafilatura sometimes takes it from the copyright line ("人民网版权所有")
        return _squash(_COPYRIGHT.sub("", name)) if name else None

    @cached_property
    def title(self) -> str | None:
        chosen = self._selected_text("title")
        if chosen:
            return chosen
        hints = [
            _ld_text(self.jsonld.get("headline")),
            self._meta("og:title", "twitter:title"),
            self.cms.get("title"),
            *self._h1,
        ]
        title = clean_title(self.tree.findtext(".//title"), hints, self.site_name)
        if title:
            return title
        for hint in hints:
            if hint:
                return clean_title(hint, (), self.site_name)
        return None

    @cached_property
    def body(self) -> str:
        return self._body_and_byline[0]

    @cached_property
    def _body_and_byline(self) -> tuple[str, str | None]:
        """The body, and the names of a byline found in the frame above it."""
        nodes = self._select("body")
        if nodes:
            return _paragraphs(b.text for node in nodes for b in read_page(node).blocks), None
        text = self.extracted.text if self.extracted else None
        lines = [line for line in map(_squash, (text or "").splitlines()) if line]
        lines = [line for line in lines if not is_furniture(line)]
        lines = article_blocks(lines, self.page_text.blocks) or lines
        lines, byline = clean_paragraphs(lines, self.title)
        body = _paragraphs(lines)
        # Script-rendered pages (scmp.com) carry the text only in JSON-LD articleBody.
        declared = _ld_text(self.jsonld.get("articleBody"))
        if declared and len(declared) > 2 * len(body):
            return _paragraphs(html.unescape(declared).splitlines()), byline
        return body, byline

    @cached_property
    def _text_from_title(self) -> str | None:
        """Visible text from the headline on, where bylines and printed dates sit.

        The headline also shows up in share widgets and breadcrumbs: the occurrence followed
        by a printed date wins, else the first one.
        """
        if not self.title:
            return None
        text, needle = self.visible_text, self.title[:30]
        starts = _occurrences(text, needle, 10)
        for at in starts:
            if find_date_in_text(text[at : at + 600]):
                return text[at:]
        return text[starts[0] :] if starts else None

    @cached_property
    def published_at(self) -> str | None:
        """Declared (meta) -> labelled in text -> trafilatura/htmldate -> URL -> printed."""
        found = self._published_day
        return with_offset(found, DEFAULT_TZ) if found else None

    @cached_property
    def _published_day(self) -> str | None:
        tz = DEFAULT_TZ
        selected = self._selected_text("published")
        if selected:
            found = parse_date(selected, default_tz=tz, date_format=self.date_format)
            if found:
                return found
        near_title = self._text_from_title
        if near_title is None:  # no headline to anchor on: only labelled or top-of-page dates
            printed = labelled = find_date_in_text(self.visible_text, default_tz=tz, strict=True)
        else:
            labelled = find_date_in_text(near_title, default_tz=tz, strict=True)
            printed = labelled or top_date(near_title, default_tz=tz)

        def with_time(day: str) -> str:
            """A date-only value gains the time printed on the page for the same day."""
            return printed if printed and len(day) == 10 and printed.startswith(day) else day

        declared = _ld_text(self.jsonld.get("datePublished")) or self._meta(
            "article:published_time", "publishdate", "pubdate", "publish-date",
            "og:release_date", "datepublished", "dc.date", "dc.date.issued",
            "sailthru.date", "date",
        ) or self.cms.get("date")  # fmt: skip
        found = parse_date(declared, default_tz=tz, date_format=self.date_format)
        if found:
            return with_time(found)
        if labelled:
            return labelled
        from_url = date_from_url(self.url) or date_from_url(self.canonical_url)
        if from_url and not (
            printed and printed[:7] == from_url[:7] and not printed.startswith(from_url)
        ):
            # htmldate is not asked: its day counts only when it is the URL's, and then gives
            # another answer only for another day printed in the same month
            return with_time(from_url)
        guessed = self._htmldate_day
        if guessed and (not from_url or guessed == from_url):
            # htmldate reads "2022年1月7日" as the 1st: the printed day wins within a month.
            if printed and printed[:7] == guessed[:7]:
                return printed
            return with_time(guessed)
        if from_url:  # a day in the URL path beats one printed in free text (a photo caption)
            return with_time(from_url)
        return printed

    @cached_property
    def _htmldate_day(self) -> str | None:
        """htmldate's day, only when the page or its URL prints that day.

        htmldate fills a missing or impossible day with the 1st ("2021-02-30" becomes
        2021-02-01) and may swap day and month: such a day is no date.
        """
        tree = self.tree
        try:
            # htmldate copies a tree it is given before cleaning it; no guessing from free text
            # (extensive search turns a bare "2019" into 2019-01-01)
            found = htmldate.find_date(
                tree, url=self.url, extensive_search=False, original_date=True
            )
        except Exception:  # htmldate raises assorted errors on odd pages
            found = None
        guessed = parse_date(found)
        if not guessed:
            return None
        day = guessed[:10]
        return guessed if day in days_printed(self.url) or prints_day(self.text, day) else None

    @cached_property
    def updated_at(self) -> str | None:
        declared = _ld_text(self.jsonld.get("dateModified")) or self._meta(
            "article:modified_time", "og:updated_time", "lastmod", "dc.date.modified"
        )
        found = parse_date(declared, default_tz=DEFAULT_TZ)
        return with_offset(found, DEFAULT_TZ) if found else None

    @cached_property
    def author(self) -> str | None:
        return next(filter(None, map(_clean_author, self._author_candidates())), None)

    def _author_candidates(self) -> Iterator[str | None]:
        """The author as each source gives it, most trusted first; each read only when those
        before it name no one (the markup search walks the whole tree)."""
        yield self._selected_text("author")
        yield _ld_text(self.jsonld.get("author"))
        yield self._meta("article:author", "author", "dc.creator", "byl")
        yield self.cms.get("author")
        yield self._body_and_byline[1]
        yield self._printed_byline
        yield self._marked_author

    @cached_property
    def _marked_author(self) -> str | None:
        """The text of the first element the markup calls the author (class, itemprop, rel)."""
        for node in _AUTHOR_MARKUP(self.tree):
            if _hidden(node):
                continue
            names = node.xpath(_AUTHOR_NAME) or [node]
            text = _squash(" ".join(visible_strings(names[0])))
            if text and len(text) <= _AUTHOR_MAX:
                return text
        return None

    @cached_property
    def _printed_byline(self) -> str | None:
        """A byline printed under the headline or at the start of the body ("本报讯（记者叶婉）")."""
        under_title = (self._text_from_title or "")[:_BYLINE_REACH].splitlines()[1:]
        for line in [*under_title, self.body[: _BYLINE_REACH // 4]]:
            found = byline_author(line)
            if found:
                return found
        return None

    @cached_property
    def dateline(self) -> str | None:
        return find_dateline(self.body)

    @cached_property
    def lang(self) -> str | None:
        declared = (
            self.tree.get("lang")
            or self.tree.get("xml:lang")
            or self._meta("content-language", "og:locale", "language")
            or _ld_text(self.jsonld.get("inLanguage"))
        )
        sample = (self.title or "") + self.body[:2000]
        share = cjk_share(sample)
        if declared:
            code = declared.strip().lower()[:2]
            code = "zh" if has_cjk(declared) else code  # lang="中文" on a zj.gov.cn template
            # Templates copied between editions often keep a wrong lang: check the text.
            if code == "en" and share > 0.5:
                return "zh"
            if code == "zh" and sample and share < 0.05:
                return "en"
            if code.isascii() and code.isalpha() and len(code) == 2:
                return code
        if not sample.strip():
            return None
        return "zh" if share > 0.3 else "en"

    @cached_property
    def section(self) -> str | None:
        return self._meta("article:section") or _ld_text(self.jsonld.get("articleSection"))

    @cached_property
    def description(self) -> str | None:
        return self._meta("og:description", "description", "twitter:description") or _ld_text(
            self.jsonld.get("description")
        )

    def to_article(self) -> Article:
        if not self.body.strip():
            raise NotAnArticle("no_body_text_found", "no body text on the page")
        return Article(
            url=self.url,
            canonical_url=self.canonical_url,
            title=self.title,
            body=self.body,
            published_at=self.published_at,
            updated_at=self.updated_at,
            author=self.author,
            dateline=self.dateline,
            lang=self.lang,
            section=self.section,
            description=self.description,
            site_name=self.site_name,
            encoding=self.codec,
        )


def parse_html(text: str) -> lxml.html.HtmlElement:
    """A page's text -> its lxml tree (comments and processing instructions left out)."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (ParserError, ValueError) as error:
        raise NotAnArticle("unparsable_html", str(error).splitlines()[0][:80]) from error


def _occurrences(text: str, needle: str, limit: int) -> list[int]:
    """Where the first ``limit`` occurrences of ``needle`` (not empty) start, none overlapping."""
    starts: list[int] = []
    at = text.find(needle)
    while at >= 0 and len(starts) < limit:
        starts.append(at)
        at = text.find(needle, at + len(needle))
    return starts


def _hidden(node: lxml.html.HtmlElement) -> bool:
    return any(a.tag in INVISIBLE for a in (node, *node.iterancestors()))


def extract_article(
    body: bytes,
    url: str,
    headers: Mapping[Any, Any] | None = None,
    *,
    selectors: Mapping[str, str] | None = None,
    date_format: str | None = None,
    max_bytes: int = MAX_HTML_BYTES,
    max_elements: int = MAX_ELEMENTS,
    max_depth: int = MAX_DEPTH,
) -> Article:
    """Bytes -> Article; raises `NotAnArticle` (``reason`` slug, one-line message) for input
    that is not an HTML article page: binary, JSON, XML, empty, too big, or without text."""
    page = ArticlePage(
        body,
        url,
        headers,
        selectors=selectors,
        date_format=date_format,
        max_bytes=max_bytes,
        max_elements=max_elements,
        max_depth=max_depth,
    )
    return page.to_article()
