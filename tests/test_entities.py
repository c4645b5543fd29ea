"""Entities: table-driven cases, the seed gold, the real pages, the gazetteer, and odd input."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.utils.test import get_crawler

from crawler.items import Article, Mention
from crawler.text import ArticleText
from fixtures import DATA as FIXTURES
from fixtures.entity_scores import THRESHOLDS, evaluate, held_out, load_gold
from fixtures.pages import page_bytes, page_url, records
from fixtures.texts import ARTICLE_GOLD, SEED_GOLD, corpus_articles, seed_gold
from pipelines.chain import ChainContext, ChainPipeline, add_entities
from pipelines.entities import extract_entities
from pipelines.entities.extract import _extract
from pipelines.entities.lexicon import DATA, load, norm_key

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((FIXTURES / "text" / "entities.yml").read_text("utf-8"))
GOLD_PATH = SEED_GOLD
GOLD = {k: v for k, v in seed_gold().items() if not k.startswith("_")}
DIVISION_LEVELS = {"province", "prefecture", "county"}


@pytest.fixture(autouse=True, scope="module")
def _warm_up() -> None:
    """Load the gazetteers and jieba's dictionary once, outside the hypothesis deadlines."""
    extract_entities("苏州市 Suzhou")


def _matches(m: Mention, want: dict[str, Any]) -> bool:
    ent = m.entity
    checks = {
        "type": ent.type,
        "text": m.text,
        "code": ent.code,
        "name": ent.name,
        "name_zh": ent.name_zh,
        "subtype": ent.subtype,
        "title": m.title,
        "roles": m.roles,
        "parent": ent.parent_code,
    }
    return all(checks[k] == v for k, v in want.items())


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{i:03d}-{c['text'][:30]}" for i, c in enumerate(CASES)]
)
def test_table_case(case: dict[str, Any]) -> None:
    mentions = extract_entities(case["text"], case.get("lang", "en"))
    found = [(m.entity.type, m.text, m.entity.code, m.entity.name, m.title) for m in mentions]
    for want in case.get("expect", []):
        assert any(_matches(m, want) for m in mentions), f"missing {want}; found {found}"
    for bad in case.get("absent", []):
        assert not any(_matches(m, bad) for m in mentions), f"unexpected {bad}; found {found}"


def test_table_has_enough_cases_in_both_languages() -> None:
    assert len(CASES) >= 100
    assert sum(c.get("lang") == "zh" for c in CASES) >= 10


@pytest.mark.parametrize("name", sorted(GOLD))
def test_seed_divisions_resolve_to_gazetteer_codes(name: str) -> None:
    """Every gold place that the gazetteer knows as a Chinese division is found with its code."""
    text = (GOLD_PATH.parent / name).read_text("utf-8")
    lex = load()
    mentions = extract_entities(text, "en")
    checked = 0
    for place in GOLD[name]["places"]:
        if place.get("embedded_only") or place.get("boilerplate"):
            continue
        codes = {
            c.entity.code
            for c in lex.en.get(norm_key(place["name"]), [])
            if c.level in DIVISION_LEVELS
        }
        if not codes:
            continue
        checked += 1
        assert any(m.entity.code in codes for m in mentions), (
            f"{place['name']} not resolved to {codes}"
        )
    for m in mentions:
        if m.entity.type == "place" and m.entity.subtype in DIVISION_LEVELS:
            assert m.entity.code and m.entity.code.isdigit() and len(m.entity.code) == 6
    assert checked >= 1


def test_seed_gold_scores_meet_the_issue_thresholds() -> None:
    scores = evaluate(GOLD_PATH)
    for typ, threshold in THRESHOLDS.items():
        assert scores[typ]["f1"] >= threshold, (typ, scores[typ])


@cache
def _division_names() -> frozenset[str]:
    """Full Chinese names (上海市, 相城区) and English names of provinces and prefectures."""
    names = set()
    for r in _divisions():
        if len(r["name_zh"]) >= 3:
            names.add(r["name_zh"])
        if r["level"] in ("province", "prefecture"):
            names.add(r["name"])
    return frozenset(names)


@pytest.mark.parametrize("record", records(), ids=lambda r: r["file"])
def test_real_page_places_resolve_to_codes(record: dict[str, Any]) -> None:
    """On the real pages every full division name (上海市, Jiangsu) is part of a mention, and a place
    mention spelt like a Chinese division carries that division's code."""
    from crawler.pages import NotAnArticle, extract_article

    try:
        body = extract_article(page_bytes(record), page_url(record)).body
    except NotAnArticle:
        return
    lex = load()
    mentions = _extract(ArticleText(body))
    covered = bytearray(len(body))
    for m in mentions:
        if m.entity.type != "industry":
            covered[m.start : m.end] = b"\x01" * (m.end - m.start)
    for name in _division_names():
        bound = r"(?<![\w-])" if name.isascii() else ""
        for occ in re.finditer(bound + re.escape(name) + (r"(?![\w-])" if bound else ""), body):
            assert all(covered[occ.start() : occ.end()]), f"{name!r} at {occ.start()} not found"
    for m in mentions:
        assert body[m.start : m.end] == m.text
        if m.entity.type != "place":
            continue
        known = {c.entity.code for c in lex.zh.get(m.text, [])} | {
            c.entity.code for c in lex.en.get(norm_key(m.text), [])
        }
        division = {c for c in known if c and c.isdigit()}
        if division:
            assert m.entity.code in division, (m.text, m.entity.code, division)


def test_same_person_is_one_entity_across_articles() -> None:
    a = extract_entities(
        "Gu Haidong, Secretary of CPC Xiangcheng District Committee of Suzhou, spoke."
    )
    b = extract_entities(
        "At the meeting, Gu Haidong, secretary of the Xiangcheng District CPC Committee, spoke."
    )
    ids = {m.entity.id for m in a + b if m.entity.type == "person"}
    assert ids == {"person:gu haidong"}
    titles = {m.title for m in a + b if m.entity.type == "person"}
    assert len(titles) == 2  # the title stated in each mention is kept with that mention


def test_mentions_carry_their_sentence() -> None:
    text = "Suzhou grew fast. Later, Kunshan City signed deals."
    ks = [m for m in extract_entities(text) if m.text == "Kunshan City"]
    assert ks and ks[0].sentence == "Later, Kunshan City signed deals."
    assert text[ks[0].sentence_start :].startswith("Later")


def test_to_dict_has_the_extract_command_shape() -> None:
    m = next(
        m for m in extract_entities("Mayor Wang Wei visited Changshu.") if m.entity.type == "place"
    )
    d = m.to_dict()
    assert {"text", "start", "end", "type", "subtype", "name", "title", "code"} <= set(d)
    assert d["code"] == "320581" and d["name"] == "Changshu"


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def test_the_chain_step_fills_mentions_and_counts_them() -> None:
    stats = _Stats()
    item = Article(
        url="http://x.invalid/a",
        canonical_url="http://x.invalid/a",
        title=None,
        body="Li Yaping, Mayor of Suzhou, visited Wujiang District.",
        lang="en",
    )
    add_entities(item, ArticleText(item.body, item.lang), ChainContext(stats=stats))
    assert [m.text for m in item.mentions] == ["Li Yaping", "Suzhou", "Wujiang District"]
    assert stats.values == {"yrd/mentions": 3, "yrd/mentions/articles": 1}


def test_the_chain_pipeline_passes_other_items_through() -> None:
    crawler = get_crawler()
    pipeline = ChainPipeline.from_crawler(crawler)
    pipeline.open_spider()
    other = {"not": "an article"}
    assert pipeline.process_item(other) is other
    assert crawler.stats.get_stats() == {}


# --- the generated gazetteer -------------------------------------------------------------------
def _divisions() -> list[dict[str, str]]:
    with (DATA / "divisions.tsv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_gazetteer_covers_every_yangtze_delta_county_and_every_prefecture() -> None:
    rows = _divisions()
    codes = {r["code"] for r in rows}
    counties = [r for r in rows if r["level"] == "county"]
    assert {r["code"][:2] for r in counties} == {"31", "32", "33", "34"}
    assert len([r for r in rows if r["level"] == "province"]) == 34
    assert len([r for r in rows if r["level"] == "prefecture"]) > 300
    for r in rows:
        assert len(r["code"]) == 6 and r["code"].isdigit()
        assert -90 <= float(r["latitude"]) <= 90 and -180 <= float(r["longitude"]) <= 180
        assert r["level"] == "province" or r["parent_code"] in codes
    assert len(codes) == len(rows)


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("相城区", "Xiangcheng District"),
        ("吴江区", "Wujiang District"),
        ("陕西省", "Shaanxi"),
        ("山西省", "Shanxi"),
        ("内蒙古自治区", "Inner Mongolia"),
        ("西藏自治区", "Tibet"),
        ("香港特别行政区", "Hong Kong"),
        ("澳门特别行政区", "Macao"),
        ("六安市", "Lu'an"),
        ("闵行区", "Minhang District"),
        ("蚌埠市", "Bengbu"),
        ("歙县", "She County"),
        ("浦东新区", "Pudong New Area"),
        ("西安市", "Xi'an"),
    ],
)
def test_gazetteer_english_names_avoid_pinyin_traps(zh: str, en: str) -> None:
    assert en in {r["name"] for r in _divisions() if r["name_zh"] == zh}


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.iterdir() if p.name.endswith(".yml")))
def test_data_lists_hold_only_strings(name: str) -> None:
    """YAML reads a bare on / no / yes as a boolean: a word list must stay a list of words."""

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, list):
            for v in node:
                if isinstance(v, dict | list):
                    walk(v, key)
                else:
                    assert isinstance(v, str), (name, key, v)

    walk(yaml.safe_load((DATA / name).read_text("utf-8")))


def test_zones_have_a_source_a_verified_flag_and_a_known_parent() -> None:
    codes = {r["code"] for r in _divisions()}
    zones = yaml.safe_load((DATA / "zones.yml").read_text("utf-8"))
    assert len({z["id"] for z in zones}) == len(zones)
    for z in zones:
        assert z["source"] and isinstance(z["verified"], bool)
        assert z["parent_code"] in codes, z["id"]


# --- odd input ---------------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def loaded_once() -> None:
    """Load the gazetteer and jieba's dictionary before any timed example, so the deadlines
    below measure extraction, not one-off start-up."""
    extract_entities("苏州工业园区 Suzhou Industrial Park")


# Every input below must be extracted within one second (hypothesis's per-input deadline).
@settings(max_examples=200, deadline=1000)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_any_text_extracts_without_error_and_with_true_offsets(text: str) -> None:
    for m in _extract(ArticleText(text)):
        assert 0 <= m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.text


@settings(max_examples=200, deadline=1000)
@given(
    st.lists(
        st.sampled_from(
            [
                "Suzhou",
                "Co.,",
                "Ltd.",
                "of",
                "and",
                "the",
                "CPC",
                "Committee",
                "Secretary",
                "Li",
                "Wang Wei",
                ",",
                "\n",
                "(SND)",
                "such as",
                "giant",
                "Mayor",
                "苏州市",
                "委书记",
                "有限公司",
                "Zone",
                "Expo Center",
                "Editor:",
                "'s",
                "’s",
            ]
        ),
        max_size=40,
    )
)
def test_entity_shaped_noise_never_breaks_extraction(words: list[str]) -> None:
    text = " ".join(words)
    for m in _extract(ArticleText(text)):
        assert text[m.start : m.end] == m.text


@settings(max_examples=60, deadline=1000)
@given(
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=3000)
    | st.text(alphabet=st.sampled_from("、，。记者市长书记有限公司中心王李曹路宝苏州工业园区"), max_size=3000)
    | st.lists(st.sampled_from(["Alpha", "Co.,", "Ltd.", "(Suzhou)", "Group", "of", "and", "Mayor",
                                "Li", "Wang", "Source:", "/PRNewswire/", "said", ",", "a", "maker"]),
               max_size=600).map(" ".join)
)  # fmt: skip
def test_hostile_text_of_any_length_is_fast_and_exact(text: str) -> None:
    for m in _extract(ArticleText(text)):
        assert text[m.start : m.end] == m.text


@pytest.mark.parametrize(
    "text", ["", " ", "\x00", "A" * 5000, "苏" * 3000, "Mr. " * 500, "of the " * 800]
)
def test_degenerate_input(text: str) -> None:
    assert isinstance(_extract(ArticleText(text)), list)


def test_eval_counts_misses_false_hits_and_neutral_entities(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "Suzhou and Kunshan City met Huawei. CPC Jiangsu Committee.", "utf-8"
    )
    gold = {
        "a.txt": {
            "persons": [],
            "organizations": [{"name": "CPC", "surface_forms": ["CPC"], "embedded_only": True}],
            "places": [
                {"name": "Suzhou", "surface_forms": ["Suzhou"]},
                {"name": "Wuxi", "surface_forms": ["Wuxi"]},
                {"name": "Jiangsu", "surface_forms": ["Jiangsu"], "embedded_only": True},
            ],
        }
    }
    path = tmp_path / "gold.json"
    path.write_text(json.dumps(gold), "utf-8")
    scores = evaluate(path)
    # places: Suzhou found, Wuxi missed, Kunshan City is a false place
    assert scores["place"]["recall"] == 0.5
    assert scores["place"]["precision"] == 0.5
    # organisations: Huawei is a false hit; no required organisation, so recall is vacuous
    assert scores["organization"]["precision"] == 0.0


# --- the development gold set ------------------------------------------------------------------
DEV_GOLD = ARTICLE_GOLD["entities"]
# Floors a little under the development part's scores when the rules were written (0.98 / 0.94 /
# 0.97 F1): a change that loses ground on the development texts fails here. The held-out ids
# are scored by bench/entities_eval.py and never asserted on (they are not tuned against).
DEV_FLOORS = {"person+title": 0.95, "organization": 0.90, "place": 0.95}


def test_development_part_of_the_article_gold_holds_its_scores() -> None:
    gold, texts = load_gold(DEV_GOLD)
    dev = set(texts) - held_out(gold)
    assert len(dev) == 32 and len(held_out(gold)) == 8
    scores = evaluate(DEV_GOLD, only=dev)
    for typ, floor in DEV_FLOORS.items():
        assert scores[typ]["f1"] >= floor, (typ, scores[typ])


# --- one person in both scripts --------------------------------------------------------------
def test_a_person_in_characters_and_in_pinyin_is_one_entity() -> None:
    zh = extract_entities("苏州市委书记曹路宝出席活动并讲话。", "zh")
    en = extract_entities("Cao Lubao, secretary of the CPC Suzhou Municipal Committee, spoke.")
    (p_zh,) = [m.entity for m in zh if m.entity.type == "person"]
    (p_en,) = [m.entity for m in en if m.entity.type == "person"]
    assert p_zh.id == p_en.id == "person:cao lubao"
    assert (p_zh.name, p_zh.name_zh) == ("Cao Lubao", "曹路宝")


@pytest.mark.parametrize(
    ("zh", "pinyin"),
    [("曹路宝", "Cao Lubao"), ("欧阳明", "Ouyang Ming"), ("单雄信", "Shan Xiongxin"),
     ("曾国藩", "Zeng Guofan"), ("吕建华", "Lyu Jianhua"), ("宋长宝", "Song Changbao")],
)  # fmt: skip
def test_chinese_names_read_as_english_news_writes_them(zh: str, pinyin: str) -> None:
    from pipelines.entities.romanize import pinyin_name

    assert pinyin_name(zh) == pinyin


# --- jieba's words, in linear time -------------------------------------------------------------
def test_the_segmenter_cache_is_kept_and_what_other_installs_left_unused_is_removed(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "yrdnews"
    folder.mkdir()
    day = 86400

    def left(name: str, age: float) -> Path:
        path = folder / name
        path.write_bytes(b"left by another install")
        os.utime(path, (time.time() - age, time.time() - age))
        return path

    unused = left("segment2-0.42.0-0123456789abcdef.marshal", 31 * day)
    recent = left("segment2-0.42.0-fedcba9876543210.marshal", 1 * day)
    abandoned = left("segment2-0.42.1-0123456789abcdef.4242.part", 2 * 3600)
    writing = left("segment2-0.42.1-0123456789abcdef.4343.part", 60)
    code = "from pipelines.entities.segment import words; print(len(words('苏州工业园区新能源')))"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}

    def segment() -> str:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
        )
        assert done.returncode == 0 and not done.stderr, done.stderr
        return done.stdout

    first = segment()
    (made,) = set(folder.glob("segment*.marshal")) - {unused, recent}
    assert not unused.exists() and not abandoned.exists()
    assert recent.exists() and writing.exists()  # still read, or still being written
    os.utime(made, (time.time() - 40 * day, time.time() - 40 * day))
    assert segment() == first
    assert time.time() - made.stat().st_mtime < day  # read again: counted as in use


def test_segmentation_gives_jiebas_words_on_ordinary_text() -> None:
    import jieba.posseg

    from pipelines.entities.segment import words

    same = total = 0
    for article in corpus_articles():
        if article.lang != "zh":
            continue
        text = ArticleText(article.text).simplified
        ours = words(text)
        assert "".join(w for w, _, _ in ours) == text
        assert all(text[s : s + len(w)] == w for w, _, s in ours)
        theirs, pos = [], 0
        for pair in jieba.posseg.lcut(text):
            theirs.append((pair.word, pair.flag, pos))
            pos += len(pair.word)
        total += len(theirs)
        same += len(set(theirs) & set(ours))
    assert total > 1000 and same / total > 0.98


def _cpu_seconds(text: str) -> float:
    """Best of three CPU times for one extraction (CPU time: the machine is shared)."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        _extract(ArticleText(text))
        best = min(best, time.process_time() - started)
    return best


def _rare_cjk(n: int) -> str:
    """Characters jieba's tagging model has never seen (U+8000 and up, mostly), in a fixed order."""
    from jieba.posseg import char_state_tab_P

    rare = [chr(c) for c in range(0x8000, 0x9FA5) if chr(c) not in char_state_tab_P][:997]
    return "".join(rare[(i * 7) % len(rare)] for i in range(n))


_HOSTILE = {
    "rare CJK characters": _rare_cjk,
    "English without punctuation": lambda n: ("the company signed deals with partners in suzhou " * n)[:n],
    "capitalised words": lambda n: (" ".join(["Alpha", "Beta", "Of", "Gamma", "And", "Delta"] * n))[:n],
    "names and titles": lambda n: ("Li Yaping Deputy Secretary of CPC Suzhou Municipal Committee Wang Wei " * n)[:n],
    "Chinese without punctuation": lambda n: ("苏州市委书记曹路宝表示苏州工业园区举行重点项目集中签约苏州恒通电缆有限公司参与" * n)[:n],
    "one character repeated": lambda n: "亿" * n,
    "titles and 、": lambda n: ("市委常委、副市长" * n)[:n],
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(_HOSTILE))
def test_extraction_time_grows_linearly(kind: str) -> None:
    """1k, 10k and 40k characters of the same hostile text: ten and four times the work, not a
    hundred and sixteen (a quadratic pattern). A ratio, so the machine's speed does not matter;
    the allowance is generous because small inputs are dominated by fixed costs."""
    make = _HOSTILE[kind]
    t1, t10, t40 = (_cpu_seconds(make(n)) for n in (1_000, 10_000, 40_000))
    assert t40 <= max(4 * t10 * 2, 0.05), (kind, t1, t10, t40)
    assert t10 <= max(10 * t1 * 3, 0.05), (kind, t1, t10, t40)
