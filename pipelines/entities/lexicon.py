"""Gazetteers and word lists from crawler/data/, loaded once and indexed for phrase lookup.

Everything here is data: the extractors ask "which entities could this phrase be?" and get
candidate `Entity` objects back. English phrases are keyed by their normalised tokens, so the
same tokenizer that reads articles reads the gazetteer.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from crawler.items import Entity
from crawler.sources import SAFE_LOADER

# Through importlib.resources, so the gazetteer loads from a zipped egg too (Scrapyd).
DATA = resources.files("crawler") / "data"
YRD_PROVINCES = frozenset({"310000", "320000", "330000", "340000"})
_LEVEL_RANK = {
    "country": 0,
    "province": 1,
    "region": 1,
    "prefecture": 2,
    "city": 2,
    "county": 3,
    "park": 4,
}
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
_WORD = re.compile(r"[^\s,;:!?\"“”()\[\]{}<>|/]+")


@lru_cache(maxsize=1 << 16)
def norm_key(phrase: str) -> str:
    """The lookup key of a phrase: casefolded words, straight apostrophes, hyphens as spaces."""
    words = []
    for w in _WORD.findall(phrase.replace("’", "'").replace("-", " ")):
        w = w.rstrip(".") if not _INITIALS.fullmatch(w) else w
        if w:
            words.append(w.casefold())
    return " ".join(words)


def is_acronym(phrase: str) -> bool:
    """All-capital aliases (SND, SIP, US) only match in capitals, so "sip" stays a verb."""
    letters = [c for c in phrase if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and " " not in phrase.strip()


@dataclass(frozen=True)
class Candidate:
    """One reading of a phrase: the entity it names and how it must be written."""

    entity: Entity
    level: str
    exact_case: str | None = None  # the spelling required when the alias is an acronym
    bare: bool = False  # a county name without its suffix ("Xiangcheng"): weaker evidence


@dataclass(eq=False)  # compared and hashed by identity, so derived views can be cached per lexicon
class Lexicon:
    en: dict[str, list[Candidate]] = field(default_factory=dict)  # norm_key -> candidates
    zh: dict[str, list[Candidate]] = field(default_factory=dict)  # Chinese name -> candidates
    industries_en: dict[str, Entity] = field(default_factory=dict)
    industries_zh: dict[str, Entity] = field(default_factory=dict)
    words: dict[str, Any] = field(default_factory=dict)  # lexicon.yml
    surnames: frozenset[str] = frozenset()
    syllables: frozenset[str] = frozenset()
    max_en_words: int = 1
    en_first_words: frozenset[str] = frozenset()  # first word of every English key
    # first character of every Chinese name -> the lengths of the names it starts, longest first
    zh_lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # division code -> (province, prefecture-level city) names, for faceting places
    areas: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def locate_area(self, entity: Entity) -> None:
        """Fill province and city from the entity's own code or, failing that, its parent's."""
        province, city = (
            self.areas.get(entity.code or "")
            or self.areas.get(entity.parent_code or "")
            or (None, None)
        )
        entity.province, entity.city = province, city

    def add_en(self, phrase: str, cand: Candidate) -> None:
        key = norm_key(phrase)
        if not key:
            return
        if is_acronym(phrase):
            cand = Candidate(cand.entity, cand.level, phrase, cand.bare)
        bucket = self.en.setdefault(key, [])
        if all(c.entity.id != cand.entity.id or c.exact_case != cand.exact_case for c in bucket):
            bucket.append(cand)
        self.max_en_words = max(self.max_en_words, key.count(" ") + 1)

    def add_zh(self, name: str, cand: Candidate) -> None:
        if len(name) < 2:
            return
        bucket = self.zh.setdefault(name, [])
        if all(c.entity.id != cand.entity.id for c in bucket):
            bucket.append(cand)

    def lookup_en(self, key: str, surface: str) -> list[Candidate]:
        return [c for c in self.en.get(key, ()) if c.exact_case is None or c.exact_case == surface]


def rank(cand: Candidate) -> tuple[int, int, int, str]:
    """Default preference among same-named places: full names, Yangtze Delta, higher level."""
    ent = cand.entity
    in_yrd = ent.code is not None and (ent.code[:2] + "0000") in YRD_PROVINCES
    return (int(cand.bare), int(not in_yrd), _LEVEL_RANK.get(cand.level, 5), ent.code or "")


def _yaml(name: str) -> Any:
    return yaml.load((DATA / name).read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def _areas(rows: list[dict[str, str]]) -> dict[str, tuple[str | None, str | None]]:
    """Province and prefecture-level city of every division, by walking up parent codes.
    A municipality (Shanghai) is its own city."""
    by_code = {row["code"]: row for row in rows}
    areas: dict[str, tuple[str | None, str | None]] = {}
    for row in rows:
        province = city = None
        node: dict[str, str] | None = row
        while node is not None:
            if node["level"] == "province":
                province = node["name"]
                if node["name"] in MUNICIPALITIES:
                    city = city or node["name"]
            elif node["level"] == "prefecture":
                city = node["name"]
            node = by_code.get(node["parent_code"])
        areas[row["code"]] = (province, city)
    return areas


def _divisions(lex: Lexicon) -> None:
    with (DATA / "divisions.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    lex.areas = _areas(rows)
    for row in rows:
        level = row["level"]
        ent = Entity(
            type="place",
            name=row["name"],
            subtype=level,
            code=row["code"],
            name_zh=row["name_zh"],
            parent_code=row["parent_code"] or "CN",
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
        )
        cand = Candidate(ent, level)
        lex.add_en(row["name"], cand)
        lex.add_zh(row["name_zh"], cand)
        if row["short_zh"]:
            lex.add_zh(row["short_zh"], cand)
        for alias in filter(None, row["aliases"].split("|")):
            bare = level == "county" and " " not in alias
            lex.add_en(alias, Candidate(ent, level, bare=bare))


def _zones_and_regions(lex: Lexicon) -> None:
    for z in _yaml("zones.yml"):
        ent = Entity(
            type="place",
            name=z["name"],
            subtype="park",
            code=z["id"],
            name_zh=z.get("name_zh"),
            parent_code=z.get("parent_code"),
        )
        cand = Candidate(ent, "park")
        for name in [z["name"], *z.get("aliases", [])]:
            (lex.add_zh if re.search(r"[\u4e00-\u9fff]", name) else lex.add_en)(name, cand)
        if z.get("name_zh"):
            lex.add_zh(z["name_zh"], cand)
    for r in _yaml("regions.yml"):
        ent = Entity(
            type="place",
            name=r["name"],
            subtype="region",
            code=r["id"],
            name_zh=r.get("name_zh"),
            parent_code=r.get("parent_code") or None,
        )
        cand = Candidate(ent, "region")
        for name in [r["name"], *r.get("aliases", [])]:
            (lex.add_zh if re.search(r"[\u4e00-\u9fff]", name) else lex.add_en)(name, cand)
        if r.get("name_zh"):
            lex.add_zh(r["name_zh"], cand)


def _world(lex: Lexicon) -> None:
    world = _yaml("world.yml")
    countries: dict[str, Entity] = {}
    with (DATA / "countries.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            ent = Entity(
                type="place",
                name=row["name"],
                subtype="country",
                code=row["code"],
                name_zh=row["name_zh"] or None,
            )
            countries[row["code"]] = ent
            lex.add_en(row["name"], Candidate(ent, "country"))
            lex.add_zh(row["name_zh"], Candidate(ent, "country"))
    for code, aliases in world["country_aliases"].items():
        for alias in aliases:
            cand = Candidate(countries[code], "country")
            (lex.add_zh if re.search(r"[\u4e00-\u9fff]", alias) else lex.add_en)(alias, cand)
    for c in world["cities"]:
        ent = Entity(
            type="place",
            name=c["name"],
            subtype="city",
            code=f"{c['country']}-{norm_key(c['name'])}".replace(" ", "-"),
            name_zh=c["name_zh"],
            parent_code=c["country"],
            latitude=c["latitude"],
            longitude=c["longitude"],
        )
        lex.add_en(c["name"], Candidate(ent, "city"))
        lex.add_zh(c["name_zh"], Candidate(ent, "city"))


def _organizations(lex: Lexicon) -> None:
    for o in _yaml("organizations.yml"):
        ent = Entity(type="organization", name=o["name"], subtype=o["type"])
        cand = Candidate(ent, "organization")
        for name in [o["name"], *o.get("aliases", [])]:
            (lex.add_zh if re.search(r"[\u4e00-\u9fff]", name) else lex.add_en)(name, cand)


def _industries(lex: Lexicon) -> None:
    for ind in _yaml("industries.yml"):
        ent = Entity(
            type="industry",
            name=ind["name"],
            subtype=ind["parent"] or "sector",
            code=ind["id"],
            name_zh=ind["name_zh"],
        )
        for phrase in ind["phrases"]:
            if re.search(r"[\u4e00-\u9fff]", phrase):
                lex.industries_zh[phrase] = ent
            else:
                lex.industries_en[phrase] = ent


MUNICIPALITIES = frozenset({"Beijing", "Tianjin", "Shanghai", "Chongqing"})


@cache
def load() -> Lexicon:
    """Read every data file once per process."""
    lex = Lexicon(words=_yaml("lexicon.yml"))
    _divisions(lex)
    _zones_and_regions(lex)
    _world(lex)
    _organizations(lex)
    _industries(lex)
    lex.surnames = frozenset(
        line.strip()
        for line in (DATA / "surnames.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    lex.syllables = frozenset((DATA / "pinyin.txt").read_text(encoding="ascii").split())
    lengths: dict[str, set[int]] = {}
    for name in lex.zh:
        lengths.setdefault(name[0], set()).add(len(name))
    lex.zh_lengths = {c: tuple(sorted(ns, reverse=True)) for c, ns in lengths.items()}
    lex.en_first_words = frozenset(k.split(" ", 1)[0] for k in lex.en)
    for candidates in (*lex.en.values(), *lex.zh.values()):
        for candidate in candidates:
            lex.locate_area(candidate.entity)
    return lex
