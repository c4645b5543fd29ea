"""Site furniture in an article's paragraphs: what a body must not start, end or be cut with.

Text rules over a body's paragraphs, for what main-text extraction keeps of a page's frame:
date lines and bylines above the text ("(english.snd.gov.cn) | Updated : 2021-01-19",
"新民晚报 发布时间:2023-01-04 10:54:59 作者:唐闻宜", "By micohuang"), breadcrumbs ("• Your
location: Home >> …", "News / Metro"), the headline repeated, widgets (share buttons, font-size
switches, video players, "load more"), comment forms ("Required fields are marked *"),
copyright footers and menus at the end. `clean_paragraphs` also returns the byline it took
away, which the page object may use as the author.
"""

from __future__ import annotations

import re
from functools import lru_cache

from crawler.dates import find_date_span

__all__ = ["clean_paragraphs", "byline_author", "is_furniture"]

_LEADING_LINES = 6  # how far down the top of a body the frame may reach
_SHORT = 30  # a short line (a name, a source) between frame lines is frame too

# Lines that are furniture wherever they stand.
_WIDGET = re.compile(
    r"^[\s•·-]*(?:share\s*-\s*\w+|share|字号|分享|分享到.{0,12}|分享让更多人看到|分享至手机|评论|关注|"
    r"【?纠错】?|打印|关闭窗口|返回顶部|扫一扫.{0,12}|图集|精彩视频推荐|热帖|热词|"
    r"查看更多|加载更多|点击加载更多|展开全文|阅读全文|play video|(?:learn|read) more\s*[→»>]*|"
    r"leave a reply|post a comment|发表评论|text size\s*:?(?:\s*a){1,3}|[ALMS](?:\s+[ALMS]){2})[\s:：]*$",
    re.I,
)
_COMMENT_FORM = re.compile(
    r"your email address will not be published|required fields are marked \*", re.I
)
_COPYRIGHT = re.compile(
    r"^(?:copyright\b|©|\(c\)\s)|版权所有|all rights reserved|^制作单位|ICP备|网安备|不良信息举报",
    re.I,
)
# Opinion pages' standing footer: the disclaimer and the call for contributions.
_DISCLAIMER = re.compile(
    r"^(?:the\s+)?(?:opinion\s+articles|views|opinions)\b.{0,40}\b(?:reflect|necessarily)\b"
    r".{0,80}\b(?:authors?|writers?|those\s+of)\b"
    r"|^if you would like to contribute|^本文(?:仅)?代表作者(?:个人)?观点",
    re.I,
)
_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_PLAYER = re.compile(r"^/?\s*\d{1,2}:\d{2}(?::\d{2})?$")  # "0:00", "/2:54"
_FILE_NAME = re.compile(r"^\S+\.(?:jpe?g|png|gif|webp|bmp)$", re.I)
_MARKDOWN_IMAGE = re.compile(r"^!\[[^\]]*\]\([^)]*\)\s*\|?$")
_BREADCRUMB = re.compile(
    r"^[\s•·]*(?:your\s+location|you\s+are\s+here|current\s+location|当前位置|您的位置|您现在的位置|"
    r"现在位置|所在位置)"
    r"|^[^\n]{0,20}(?:\s*(?:>>|»|>|→)\s*[^\n>»→]{1,20}){2,}$",
    re.I,
)
# "News / Metro", "首页 | 新闻": two to four short labels and separators, nothing else.
_SECTION_PATH = re.compile(r"^[\w&'. -]{1,20}(?:\s+[/|]\s+[\w&'. -]{1,20}){1,3}$")
# What a date line may hold besides its date: labels, sources, site names, widgets.
_DATE_LINE_WORDS = re.compile(
    r"(?i)\b(?:updated?|published|posted|date|time|source|edit(?:or)?|author|text\s+size|by)\b|"
    r"发布时间|发布日期|更新时间|时间|日期|来源|作者|编辑|责编|字号|[\w-]+(?:\.[\w-]+)+|\b[ALMS]\b|"
    r"[\s|:：/()（）\[\]【】·•,，-]+"
)
_SENTENCE_END = re.compile(r"[.!?。！？；;]$")
# "By Mitchell Blatt", "By micohuang" (one handle), never "By car" in a sentence.
_EN_BYLINE = re.compile(
    r"^[Bb]y\s+(?P<name>[A-Z][\w.'-]*(?:\s+(?:[A-Z][\w.'-]*|de|van|von|bin)){0,3}|[a-z][\w.-]{3,30})$"
)
_ZH_NAME = r"[\u4e00-\u9fff][\u4e00-\u9fff·]{1,3}"
_ZH_BYLINE = re.compile(
    rf"(?:作者|(?:本报|本台|本网|新华社|新华网)?记者|通讯员|文\s*[/|])\s*[:：]?\s*"
    rf"(?P<names>{_ZH_NAME}(?:(?:\s+|[、，,])\s*{_ZH_NAME})*)"
    r"(?=\s*(?:$|[\s)）\]】|/、，,]|通讯员|记者|摄|报道|编辑|责编))"
)


@lru_cache(maxsize=4096)  # the page object asks twice of most lines, and sites repeat theirs
def is_furniture(line: str) -> bool:
    """A paragraph that is furniture wherever it stands (widgets, footers, forms, dates)."""
    return bool(
        _WIDGET.match(line)
        or _COMMENT_FORM.search(line)
        or _COPYRIGHT.search(line)
        or _DISCLAIMER.search(line)
        or _BARE_URL.match(line)
        or _PLAYER.match(line)
        or _FILE_NAME.match(line)
        or _MARKDOWN_IMAGE.match(line)
        or _is_date_line(line, rest=0)
    )


def _is_date_line(line: str, rest: int) -> bool:
    """A line that is a date (and time) plus at most ``rest`` characters of labels and names."""
    span = find_date_span(line)
    if span is None:
        return False
    start, end = span
    remainder = _DATE_LINE_WORDS.sub("", line[:start] + " " + line[end:])
    return len(remainder) <= rest


def byline_author(line: str) -> str | None:
    """The names of a byline ("By Mitchell Blatt", "作者：唐闻宜", "记者 叶婉 通讯员 王明"), or None."""
    english = _EN_BYLINE.match(line.strip())
    if english:
        return english.group("name")
    names = [m.group("names") for m in _ZH_BYLINE.finditer(line)]
    if not names:
        return None
    found = dict.fromkeys(n for group in names for n in re.split(r"[\s、，,]+", group) if n)
    return ", ".join(found) or None


def _headline(line: str, title: str | None) -> bool:
    """The headline again, whole or cut, or with a verb of saying ("...座谈会强调")."""
    if not title:
        return False
    return (
        line == title
        or title.startswith(line)
        or (line.startswith(title) and len(line) - len(title) <= 4)
    )


def _frame_line(line: str, title: str | None) -> bool:
    """A line of the frame above an article: date line, byline, breadcrumb, headline."""
    return bool(
        _headline(line, title)
        or _is_date_line(line, rest=40)
        or _BREADCRUMB.search(line)
        or _SECTION_PATH.match(line)
        or _EN_BYLINE.match(line)
        or (len(line) <= _SHORT and byline_author(line))
        or _WIDGET.match(line)
    )


def _short(line: str) -> bool:
    return len(line) <= _SHORT and not _SENTENCE_END.search(line)


def clean_paragraphs(lines: list[str], title: str | None) -> tuple[list[str], str | None]:
    """Paragraphs without furniture, and the byline's names if the frame above held one.

    The frame is the top lines up to the last frame line among them, with the short lines
    (names, sources) between; short lines right under the headline are its decks (Xinhua's
    引题 and 副题).
    """
    cut = 0
    under_headline = False
    for index, line in enumerate(lines[:_LEADING_LINES]):
        if _frame_line(line, title) or (under_headline and _short(line)):
            cut = index + 1
            under_headline = under_headline or _headline(line, title)
        elif _short(line):
            under_headline = False
        else:
            break
    author = next((a for a in map(byline_author, lines[:cut]) if a), None)
    kept = [line for line in lines[cut:] if not is_furniture(line)]
    # A menu at the end: a run of one- or two-word lines ("Opinion", "Feature", "Top").
    tail = len(kept)
    while tail and len(kept[tail - 1].split()) <= 2 and len(kept[tail - 1]) <= 15:
        tail -= 1
    if len(kept) - tail >= 3:
        kept = kept[:tail]
    return kept, author
