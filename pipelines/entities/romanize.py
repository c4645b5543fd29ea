"""Chinese personal names in Hanyu Pinyin, the way English-language news writes them.

曹路宝 -> "Cao Lubao": surname, a space, the given name's syllables run together, each part
capitalised. The readings come from pypinyin, one character at a time; a surname whose everyday
reading differs from its reading as a surname (单 is Shan, 曾 Zeng, 解 Xie, 尉迟 Yuchi) is read
from `lexicon.yml`, as are the few characters read otherwise in given names (长 is chang), and ü
is written "yu" after l and n (吕 -> Lyu), as Chinese passports and Xinhua do. A person named in
characters in one article and in pinyin in another is then one entity (`person:cao lubao`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache, lru_cache

from crawler.chinese import has_cjk

from .lexicon import load


@cache
def _readings() -> tuple[dict[str, str], tuple[str, ...], dict[str, str]]:
    zh = load().words["zh"]
    compound = tuple(sorted(zh["compound_surnames"], key=len, reverse=True))
    return dict(zh["surname_readings"]), compound, dict(zh["given_name_readings"])


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name): 欧阳修 -> (欧阳, 修), 曹路宝 -> (曹, 路宝)."""
    _, compound, _ = _readings()
    for surname in compound:
        if name.startswith(surname) and len(name) > len(surname):
            return surname, name[len(surname) :]
    return name[:1], name[1:]


@cache
def _reading() -> Callable[[str], str]:
    """pypinyin's toneless reading of one character. pypinyin is imported without its phrase
    dictionary (PYPINYIN_NO_PHRASES, set for the import only), which reads characters in
    context and costs a fifth of a second to load; no character alone is in it."""
    saved = os.environ.get("PYPINYIN_NO_PHRASES")
    os.environ["PYPINYIN_NO_PHRASES"] = "1"
    try:
        from pypinyin import Style, lazy_pinyin
    finally:
        if saved is None:
            del os.environ["PYPINYIN_NO_PHRASES"]
        else:
            os.environ["PYPINYIN_NO_PHRASES"] = saved
    return lambda char: "".join(lazy_pinyin(char, style=Style.NORMAL))


@lru_cache(maxsize=1 << 12)
def pinyin_name(name: str) -> str:
    """ "Cao Lubao" for 曹路宝; the name unchanged when it holds no Chinese character."""
    if not has_cjk(name):
        return name
    surname, given = split_name(name)
    readings, _, given_readings = _readings()
    reading = _reading()
    family = readings.get(surname) or "".join(map(reading, surname))
    first = "".join(given_readings.get(c) or reading(c) for c in given)
    parts = [_ascii(p).capitalize() for p in (family, first) if p]
    return " ".join(parts) if parts and all(p.isascii() for p in parts) else name


def _ascii(syllables: str) -> str:
    return syllables.replace("lv", "lyu").replace("nv", "nyu").replace("v", "u")
