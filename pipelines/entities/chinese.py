"""Entities in Chinese text: gazetteer names on jieba word boundaries, organisations and zones by
suffix (市 区 县 园区 集团 有限公司 ...), and people introduced by a title (市委书记曹路宝).

Traditional characters are mapped to simplified ones first (蘇州 -> 苏州), one for one.
jieba decides where words begin and end, so a place name inside a longer word (三明 in 三明治,
"sandwich") is not a place; part-of-speech tags decide how far an organisation name reaches back
(nouns and place names, not verbs or time words).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import Any

from crawler.chinese import CJK, has_cjk
from crawler.items import Entity
from crawler.text import ArticleText

from . import segment
from .lexicon import Lexicon, rank
from .places import Match, choose
from .romanize import pinyin_name, split_name
from .spans import Span

_NOUNISH = ("n", "ns", "nt", "nz", "nr", "j", "vn", "an", "eng", "nrt", "nrfg", "b")
_SINGLE_STOP = frozenset(
    [
        "全部",
        "内部",
        "外部",
        "东部",
        "西部",
        "南部",
        "北部",
        "中部",
        "部分",
        "干部",
        "俱乐部",
        "总部",
        "局部",
        "局面",
        "格局",
        "布局",
        "结局",
        "当局",
        "大局",
        "开局",
        "全局",
        "總部",
        "顾部",
        "头部",
        "底部",
        "细部",
        "腹部",
        "面部",
        "胸部",
        "常委",
        "编委",
    ]
)
_SURNAMES_ZH = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊"
    "葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉"
    "骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏"
    "宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_FOLLOW_STARTS = frozenset(
    "说在表指强出主会介一等和与同代致讲参调宣为对的也还带率认提要称来前见签陪"
)
_AFTER_NAME = re.compile(
    r"[\s，。、；：！？（）“”\"'《》,.;:!?()]|$|在|表示|说|指出|强调|出席|主持|会见|介绍|一行|等|和|与|同志|代表|致辞|讲话|"
    r"参加|调研|宣布|为|对|的|也|还|带队|率队|认为|提出|要求|称|来到|前往|见证|签约|致|陪同"
)


def find_chinese(doc: ArticleText, lex: Lexicon) -> list[Span]:
    if not has_cjk(doc.body):
        return []
    original, text = doc.body, doc.simplified  # one for one: offsets index the original
    words = segment.words(text)
    spans = _gazetteer(text, lex, words)
    words = _split_at(words, {s.end for s in spans})
    spans += _suffixed(text, words, lex)
    spans += _units(text, words, lex)
    spans += _venues(text, words, lex)
    spans += _brands(text, words, lex, _covered(spans, len(text)))
    spans += _accounts(text, lex)
    spans += _people(text, original, words, lex)
    return spans + _short_names(words, spans, lex)


Word = tuple[str, str, int]
_FUNCTION_FLAGS = ("p", "c", "u", "d", "r", "m", "q", "f", "y", "e", "o", "w", "t", "v", "a")
_BRAND_FLAGS = ("nr", "nz", "nrt", "nrfg", "nt", "eng")
_OPEN, _CLOSE = ("(", "（"), (")", "）")
_COMMON = 500  # jieba's count of a word above which it is an everyday word, not a brand


class _Suffixes:
    """The longest of a set of suffixes that a word ends with, found by looking the word's own
    endings up rather than by trying every suffix: what `next(x for x in longest_first if
    w.endswith(x))` gives, at a cost bounded by the longest suffix's length."""

    def __init__(self, suffixes: Iterable[str]) -> None:
        self.words = frozenset(suffixes)
        self.lengths = sorted({len(x) for x in self.words if x}, reverse=True)
        self.last_chars = frozenset(x[-1] for x in self.words if x)
        self.none = "" if "" in self.words else None  # what a word with no other suffix gets
        # words recur across articles: each is looked up once per process
        self.longest = lru_cache(maxsize=1 << 15)(self._longest)

    def _longest(self, w: str) -> str | None:
        if w[-1:] in self.last_chars:
            for n in self.lengths:
                if n <= len(w) and w[-n:] in self.words:
                    return w[-n:]
        return self.none


@cache
def _suffixes(lex: Lexicon, *keys: str) -> _Suffixes:
    """The suffixes of these lists of lexicon.yml's zh section, once per lexicon."""
    return _Suffixes(x for key in keys for x in lex.words["zh"][key])


_SINGLE_STOP_ENDINGS = _Suffixes(_SINGLE_STOP)


def _split_at(words: list[Word], ends: set[int]) -> list[Word]:
    """Words that run over the end of a gazetteer name are cut there: 姑苏区 + 吉旗, not 姑苏 +
    区吉旗 (the remainder keeps the word's tag)."""
    out: list[Word] = []
    marks = bytearray(max(ends, default=0) + 1)
    for e in ends:
        marks[e] = 1
    for w, flag, s in words:
        cut = marks.find(1, s + 1, s + len(w)) if len(w) > 1 else -1  # the first end inside
        if cut == -1:
            out.append((w, flag, s))
        else:
            out += [(w[: cut - s], flag, s), (w[cut - s :], flag, cut)]
    return out


def _name_part(word: Word, lex: Lexicon, joins: tuple[str, ...] = ()) -> bool:
    """Can this word stand inside a name built of ordinary words? Nouns, place names, Latin
    words, hyphens, the verbs names are made of (创新, 运营), and the `joins` asked for."""
    w, flag, _ = word
    if w in joins:
        return True
    if not CJK.match(w):
        return flag == "eng" or w == "-"
    return (
        _orgish(word, lex)
        or w in lex.words["zh"]["name_verbs"]
        or not flag.startswith(_FUNCTION_FLAGS)
    )


def _reach_back(
    words: list[Word], k: int, lex: Lexicon, limit: int = 20, joins: tuple[str, ...] = ()
) -> int:
    """Index of the first word of the name that ends with word k; a bracketed Latin acronym
    inside it is crossed (药物信息协会(DIA)苏州中心)."""
    end = words[k][2] + len(words[k][0])
    b = k
    while b > 0:
        if (
            b >= 3
            and words[b - 1][0] in _CLOSE
            and words[b - 2][1] == "eng"
            and words[b - 3][0] in _OPEN
        ):
            b -= 3
            continue
        if not _name_part(words[b - 1], lex, joins) or end - words[b - 1][2] > limit:
            break
        b -= 1
    while b < k and not CJK.match(words[b][0]):
        b += 1  # a name starts with a character, not a hyphen or a bracket
    return b


def _units(text: str, words: list[Word], lex: Lexicon) -> list[Span]:
    """跨国企业联合创新中心, 卡赫全球研发中心, 药物信息协会(DIA)苏州中心: centres, funds and
    societies whose names are ordinary words; four characters before the suffix at least."""
    suffixes = _suffixes(lex, "unit_suffixes")
    out = []
    for k, (w, _flag, s) in enumerate(words):
        suffix = suffixes.longest(w)
        if not suffix:
            continue
        b = _reach_back(words, k, lex)
        start, end = words[b][2], s + len(w)
        stem = text[start : end - len(suffix)]
        if len(stem) < 4 and not any(f.startswith(_BRAND_FLAGS) for _, f, _ in words[b:k]):
            continue
        name = text[start:end]
        typ = "association" if suffix.endswith("会") else _org_type(name, lex, "research")
        out.append(
            Span(start, end, Entity(type="organization", name=name, subtype=typ, name_zh=name))
        )
    return out


def _covered(spans: list[Span], n: int) -> bytearray:
    taken = bytearray(n)
    for s in spans:
        taken[s.start : s.end] = b"\x01" * (s.end - s.start)
    return taken


def _venues(text: str, words: list[Word], lex: Lexicon) -> list[Span]:
    """邮政大厦, 观前商圈, 苏州港: a building, district or port named by the word before its
    suffix (港 only after a place name)."""
    suffixes = _suffixes(lex, "venue_suffixes")
    out = []
    for k, (w, _flag, s) in enumerate(words):
        suffix = suffixes.longest(w)
        if not suffix or k == 0:
            continue
        stem = w[: -len(suffix)]
        start = s
        if not stem:  # the suffix is a word of its own: the name is the word before
            pw, pf, ps = words[k - 1]
            if not CJK.match(pw) or len(pw) < 2 or pf.startswith(_FUNCTION_FLAGS[:-2]):  # 观前/v
                continue
            if len(suffix) == 1 and pw not in lex.zh:
                continue
            start = ps
        elif len(stem) < 2:
            continue
        name = text[start : s + len(w)]
        out.append(
            Span(start, s + len(w), Entity(type="place", name=name, subtype="venue", name_zh=name))
        )
    return out


def _brands(text: str, words: list[Word], lex: Lexicon, places: bytearray) -> list[Span]:
    """京东方 in 京东方传感器研发制造总部, 吉旗物流 in 吉旗物流项目: the brand-like words that open
    a facility or project named after its company."""
    zh = lex.words["zh"]
    facilities = set(zh["facility_words"])
    short = set(zh["short_company_suffixes"])
    out = []
    for k, (w, _flag, _s) in enumerate(words):
        if w not in facilities:
            continue
        b = _reach_back(words, k, lex, joins=("及",))  # 铠欣半导体材料研发及运营总部
        while b < k and places[words[b][2]]:
            b += 1  # 姑苏区 in 姑苏区吉旗物流项目 is where, not who
        run: list[int] = []
        for m in range(b, k):
            mw, mf, _ = words[m]
            brand = mf.startswith(_BRAND_FLAGS) and mw not in lex.zh
            if brand or (len(mw) == 1 and mf.startswith("n")):
                run.append(m)
            elif not run and mf == "n" and m + 1 < k and words[m + 1][1].startswith(_BRAND_FLAGS):
                run.append(m)  # 科林 + 利康
            else:
                break
        if not run or not any(words[m][1].startswith(_BRAND_FLAGS) for m in run):
            continue
        last = run[-1] + 1
        if last < k and words[last][0] in short:
            last += 1
        start, end = words[run[0]][2], words[last - 1][2] + len(words[last - 1][0])
        if not 2 <= end - start <= 8 or last >= k + 1 or run[-1] + 1 == k:
            continue
        name = text[start:end]
        out.append(
            Span(
                start, end, Entity(type="organization", name=name, subtype="company", name_zh=name)
            )
        )
    return out


def _short_names(words: list[Word], spans: list[Span], lex: Lexicon) -> list[Span]:
    """恒通 after 苏州恒通电缆有限公司: a company's first name word after its place, standing
    alone elsewhere (as a word of its own) in the article."""
    starts = {s: k for k, (_, _, s) in enumerate(words)}
    found: dict[str, Entity] = {}
    companies = [
        s for s in spans if s.entity.type == "organization" and s.entity.subtype == "company"
    ]
    for span in companies:
        k = starts.get(span.start)
        while k is not None and k < len(words) and words[k][0] in lex.zh:
            k += 1  # the place the company is named after
        if k is None or k >= len(words) or words[k][2] >= span.end:
            continue
        w, flag, s = words[k]
        if (
            2 <= len(w) <= 4
            and s + len(w) < span.end
            and flag.startswith(_BRAND_FLAGS)
            and segment.frequency(w) < _COMMON
        ):
            found.setdefault(w, span.entity)  # 航天 in 中国航天科工...公司 is too common a word
    taken = _covered(spans, max((s.end for s in spans), default=0))
    out = []
    for w, _flag, s in words:
        ent = found.get(w)
        if ent is not None and not any(taken[s : s + len(w)]):
            out.append(Span(s, s + len(w), ent, strength=-1))
    return out


def _accounts(text: str, lex: Lexicon) -> list[Span]:
    """“苏州工业园区发布”消息: a quoted official news account."""
    out = []
    for m in _account_pattern(tuple(lex.words["zh"]["account_suffixes"])).finditer(text):
        name = m.group(1)
        ent = Entity(type="organization", name=name, subtype="media", name_zh=name)
        out.append(Span(m.start(1), m.end(1), ent))
    return out


@cache
def _account_pattern(suffixes: tuple[str, ...]) -> re.Pattern[str]:
    alternation = "|".join(map(re.escape, suffixes))
    return re.compile(
        rf"[“\"]([\u4e00-\u9fff]{{2,10}}(?:{alternation}))[”\"](?:消息|微信|公众号|称|显示)"
    )


def _gazetteer(text: str, lex: Lexicon, words: list[tuple[str, str, int]]) -> list[Span]:
    """Longest gazetteer names starting on a word boundary (or right after another name).

    A name without its suffix (白银 for 白银市) must also end on a word boundary, and outside the
    Yangtze River Delta jieba must tag it as a place name: 白银 alone is usually "silver".
    """
    starts = {s: (w, f) for w, f, s in words}
    ends = {s + len(w) for w, _, s in words}
    matches: list[Match] = []
    i, n, chained = 0, len(text), -1
    while i < n:
        lengths = lex.zh_lengths.get(text[i])
        if lengths is None or (i not in starts and i != chained):
            i += 1
            continue
        for length in lengths:  # longest first, only the lengths of names starting so
            if length > n - i:
                continue
            name = text[i : i + length]
            cands = lex.zh.get(name)
            if not cands:
                continue
            if text[i + length : i + length + 1] in lex.words["zh"]["not_after_place"]:
                continue  # 中国式现代化: an adjective
            full = any(
                c.entity.name_zh == name or c.level in ("park", "organization") for c in cands
            )
            word, flag = starts.get(i, ("", ""))
            trusted = any(rank(c)[1] == 0 for c in cands) or (
                word == name and flag.startswith("ns")
            )
            if any(c.level == "organization" for c in cands) and i + length not in ends:
                continue  # 京东 (JD.com) is no company inside 京东方 (BOE)
            if full or (i + length in ends and trusted):
                matches.append(Match(i, i + length, cands))
                chained = i + length
                i += length - 1
                break
        i += 1
    chosen = choose(matches, lex)
    return [Span(m.start, m.end, chosen[k].entity, strength=2) for k, m in enumerate(matches)]


def _orgish(word: tuple[str, str, int], lex: Lexicon) -> bool:
    """Can this word be part of an organisation name? Nouns and place names (jieba often tags
    相城 as a verb and 吴江 as a person, so the gazetteer is asked too)."""
    w, flag, _ = word
    return bool(CJK.match(w)) and (flag.startswith(_NOUNISH) or w in lex.zh)


def _org_type(name: str, lex: Lexicon, default: str = "government") -> str:
    zh = lex.words["zh"]
    if any(p in name for p in zh["party_markers"]):
        return "party"
    for typ, marks in (
        ("company", ("公司", "集团", "银行")),
        ("university", ("大学", "学院")),
        ("research", ("研究院", "研究所")),
        ("association", ("协会", "商会", "联盟")),
        ("media", ("日报", "晚报", "早报", "商报", "电视台", "新闻社", "广播电台")),
    ):
        if any(m in name for m in marks):
            return typ
    return default


def _suffixed(text: str, words: list[tuple[str, str, int]], lex: Lexicon) -> list[Span]:
    """Organisations and zones: a name ending in a suffix, reaching back over nouns."""
    org_suffixes = _suffixes(lex, "org_suffixes", "party_markers")
    zone_suffixes = _suffixes(lex, "zone_suffixes")
    out = []
    for k, (w, flag, s) in enumerate(words):
        zone = zone_suffixes.longest(w)
        org = None if zone else org_suffixes.longest(w)
        if not (zone or org) or _SINGLE_STOP_ENDINGS.longest(w) is not None:
            continue
        b = k
        while b > 0 and _orgish(words[b - 1], lex) and s + len(w) - words[b - 1][2] <= 20:
            b -= 1
        start, end = words[b][2], s + len(w)
        name = text[start:end]
        stem = name
        while stem and (x := _org_or_zone_suffix(stem, org_suffixes, zone_suffixes)):
            stem = stem[: -len(x)]
        if len(stem) < 2:
            continue  # 国联盟, 集团有限公司: no name before the suffixes
        if stem in lex.industries_zh or stem in lex.words["zh"]["generic_stems"]:
            continue  # 人工智能公司, 行业协会: a kind of body, not a named one
        if (
            org
            and len(org) == 1
            and flag != "nt"
            and not any(name[:n] in lex.zh for n in range(2, 6))
        ):
            continue  # 局 部 厅 委 alone make too many words (布局, 总部): only after a place name
        if zone and any(w[-n:] in lex.zh for n in range(3, len(w) + 1)):
            continue  # 上海市浦东新区 is a division, 苏州工业园区 a gazetteer zone: the gazetteer has them
        if zone and not (
            any(name[:n] in lex.zh for n in range(2, 6)) or words[b][1] in ("ns", "nt", "nz")
        ):
            continue  # 重点园区, 玉米高产示范区: a kind of zone, not a named one
        if zone:
            ent = Entity(type="place", name=name, subtype="park", name_zh=name)
        else:
            ent = Entity(type="organization", name=name, subtype=_org_type(name, lex), name_zh=name)
        out.append(Span(start, end, ent))
    return out


def _org_or_zone_suffix(stem: str, org: _Suffixes, zone: _Suffixes) -> str | None:
    """The longest organisation suffix the stem ends with, else the longest zone suffix."""
    found = org.longest(stem)
    return found if found is not None else zone.longest(stem)


def _name_lengths(text: str, p: int, flag_at: dict[int, str]) -> list[int]:
    """Lengths (3 or 2) of the name at p that end before punctuation or a following word;
    王凯说 is 王凯 + 说 when 说 can start the next word, and 贺信中 is no name: jieba reads 中 as
    a separate locality word."""
    ok = [
        n
        for n in (3, 2)
        if p + n <= len(text)
        and all(CJK.match(c) for c in text[p : p + n])
        and _AFTER_NAME.match(text, p + n)
        and not flag_at.get(p + n - 1, "").startswith(("f", "p", "u", "c"))
    ]
    if (
        3 in ok
        and 2 in ok
        and _AFTER_NAME.match(text, p + 2)
        and _AFTER_NAME.match(text, p + 2).group()
    ):
        return [2] if text[p + 2] in _FOLLOW_STARTS else [3]
    return ok[:1]


def _people(
    text: str, original: str, words: list[tuple[str, str, int]], lex: Lexicon
) -> list[Span]:
    """People in Chinese text, introduced by what stands before them:
    - a title word: 苏州市委书记曹路宝 (the title reaches back over the body that holds it);
    - a byline label: 作者：唐闻宜, 记者 王凯;
    - the list a titled name opens: 区领导陆振华、张瑛、虞美华 (each item a name);
    and later "surname + title" (曹书记) when one person of the article has that surname.
    Titles are kept as written (traditional stays traditional); the entity's name is the
    pinyin ("Cao Lubao") and name_zh the simplified characters, so one person is one entity
    in Chinese and English articles."""
    zh = lex.words["zh"]
    titles = _suffixes(lex, "title_words")
    org_suffixes = tuple(zh["org_suffixes"] + zh["party_markers"])
    flag_at = {s: f for _, f, s in words}
    out: list[Span] = []
    for k, (w, _flag, s) in enumerate(words):
        title_word = titles.longest(w)
        if not title_word:
            continue
        p = s + len(w)
        if not _name_start(words, k + 1, text, p):
            continue
        length = _name_length(text, p, flag_at)
        if not length:
            continue
        parts = _title_parts(words, k, title_word, titles, lex)
        start = parts[0][0]
        roles = []
        for a, role, e in parts:
            org = original[a:role]
            roles.append({"role": original[role:e], **({"organization": org} if org else {})})
            body = text[a:role]
            if len(body) > 2 and body.endswith(org_suffixes):  # 苏州市委 in 苏州市委书记
                ent = Entity(
                    type="organization", name=body, subtype=_org_type(body, lex), name_zh=body
                )
                out.append(Span(a, role, ent))
        out.append(_person(text, p, length, title=original[start:p], roles=roles))
        shared = title_word in zh["collective_titles"]  # 区领导 is every listed name's title
        out.extend(
            _listed(text, p + length, flag_at, (original[start:p], roles) if shared else None)
        )
    out += _bylines(text, original, flag_at, lex)
    return out + _surname_titles(text, original, out, titles)


def _title_parts(
    words: list[Word], k: int, title_word: str, titles: _Suffixes, lex: Lexicon
) -> list[tuple[int, int, int]]:
    """(start, role start, end) of each title before a name: the body that holds the post, then
    the post with its 代 / 副 / 常务. 苏州高新区党工委副书记、虎丘区代区长 is two titles."""
    modifiers = ("代", "副", "常务", "执行", "第一")
    parts = []
    while True:
        end = words[k][2] + len(words[k][0])
        b = k
        while b > 0 and words[b - 1][0] in modifiers:
            b -= 1
        role = words[b][2] if b < k else end - len(title_word)
        while b > 0 and end - words[b - 1][2] <= 16 and _orgish(words[b - 1], lex):
            b -= 1
        parts.append((words[b][2], role, end))
        prev = b - 2
        if prev < 0 or words[b - 1][0] != "、":
            break
        title_word = titles.longest(words[prev][0]) or ""
        if not title_word:
            break
        k = prev
    parts.reverse()
    return parts


def _person(text: str, p: int, length: int, **kw: Any) -> Span:
    name = text[p : p + length]
    ent = Entity(type="person", name=pinyin_name(name), name_zh=name)
    return Span(p, p + length, ent, **kw)


def _name_start(words: list[tuple[str, str, int]], k: int, text: str, p: int) -> bool:
    """Does a personal name start at word k (offset p)? A surname, and not a common word (贺信)
    or a function word (向)."""
    if k >= len(words) or p >= len(text) or text[p] not in _SURNAMES_ZH:
        return False
    w, flag, _ = words[k]
    if len(w) >= 2:
        return flag.startswith("nr")
    return not flag.startswith(("p", "c", "u", "d", "r", "m", "q"))


def _name_length(text: str, p: int, flag_at: dict[int, str]) -> int:
    lengths = _name_lengths(text, p, flag_at)
    return lengths[0] if lengths else 0


def _listed(
    text: str,
    p: int,
    flag_at: dict[int, str],
    title: tuple[str, list[dict[str, str]]] | None = None,
) -> list[Span]:
    """Further names in a list opened by a titled name: 、张瑛、虞美华. A collective title
    (区领导, 嘉宾) is each name's title; another title is the first name's only."""
    out = []
    while p < len(text) - 2 and text[p] == "、" and text[p + 1] in _SURNAMES_ZH:
        length = _name_length(text, p + 1, flag_at)
        if not length:
            break
        kw = {"title": title[0], "roles": list(title[1])} if title else {}
        out.append(_person(text, p + 1, length, **kw))
        p += 1 + length
    return out


def _bylines(text: str, original: str, flag_at: dict[int, str], lex: Lexicon) -> list[Span]:
    """作者：唐闻宜, （记者 王凯 通讯员 李明）: the label is the title."""
    out = []
    for m in _byline_pattern(tuple(lex.words["zh"]["byline_labels"])).finditer(text):
        p = m.end()
        if p < len(text) and text[p] in _SURNAMES_ZH:
            length = _name_length(text, p, flag_at)
            if length:
                label = original[m.start(1) : m.end(1)]
                out.append(_person(text, p, length, title=label, roles=[{"role": label}]))
    return out


@cache
def _byline_pattern(labels: tuple[str, ...]) -> re.Pattern[str]:
    alternation = "|".join(sorted(map(re.escape, labels), key=len, reverse=True))
    return re.compile(rf"(?<![\u4e00-\u9fff])({alternation})[ \t\u3000]*[：:]?[ \t\u3000]*")


def _surname_titles(text: str, original: str, people: list[Span], titles: _Suffixes) -> list[Span]:
    """曹书记 after 曹路宝: the surname and a title, tied to the article's one person with that
    surname."""
    by_surname: dict[str, set[str]] = {}
    ents: dict[str, Entity] = {}
    for span in people:
        surname = split_name(span.entity.name_zh or "")[0]
        by_surname.setdefault(surname, set()).add(span.entity.id)
        ents[span.entity.id] = span.entity
    unique = {s: ents[next(iter(ids))] for s, ids in by_surname.items() if len(ids) == 1}
    if not unique:
        return []
    taken = {(s.start, s.end) for s in people}
    out = []
    for start, surname, title_match in _titled(text, sorted(unique), _title_pattern(titles)):
        end = start + len(surname)
        if (start, end) in taken:
            continue
        title = original[title_match.start() : title_match.end()]
        out.append(Span(start, end, unique[surname], title=title, roles=[{"role": title}]))
    return out


def _titled(
    text: str, surnames: list[str], title: re.Pattern[str]
) -> Iterator[tuple[int, str, re.Match[str]]]:
    """(start, surname, title match) of each surname followed by a title, left to right and not
    overlapping: what `(?<![\u4e00-\u9fff])(surnames)(titles)` finds, without compiling a
    pattern for each article's surnames (1.3 ms, and one kept per set of surnames)."""
    starts = sorted({p for surname in surnames for p in _finds(text, surname)})
    pos = 0
    for p in starts:
        if p < pos or (p > 0 and "\u4e00" <= text[p - 1] <= "\u9fff"):
            continue
        for surname in surnames:  # in order, as the alternation tries them
            if text.startswith(surname, p) and (m := title.match(text, p + len(surname))):
                yield p, surname, m
                pos = m.end()
                break


def _finds(text: str, word: str) -> Iterator[int]:
    """Every start of `word` in `text`, overlapping ones too."""
    p = text.find(word)
    while p != -1:
        yield p
        p = text.find(word, p + 1)


@cache
def _title_pattern(titles: _Suffixes) -> re.Pattern[str]:
    """The title words, longest first (then in code point order, whatever the hash seed)."""
    words = sorted(map(re.escape, sorted(titles.words)), key=len, reverse=True)
    return re.compile("|".join(words))
