"""Site furniture out of bodies, bylines as authors (crawler/furniture.py and the page object).

The furniture lines are real: they come from the demo corpus texts (demo/corpus/articles.jsonl)
and the seed texts, which kept the frame of the pages they were saved from. Whole pages here
are composed by fixtures/compose.py, which says so in the page.
"""

from __future__ import annotations

import pytest

from crawler.furniture import byline_author, clean_paragraphs, is_furniture
from crawler.pages import extract_article
from fixtures.compose import compose_article_html
from fixtures.texts import corpus_articles

ARTICLES = {article.id: article for article in corpus_articles()}
LEAD = "Suzhou Industrial Park signed 85 projects worth more than 30 billion yuan in 2020."


@pytest.mark.parametrize(
    "line",
    [
        "(english.snd.gov.cn) | Updated : 2021-01-19",
        "(chinadaily.com.cn) | Updated : 2022-03-24",
        "ehangzhou.gov.cn| Updated: December 29, 2020 L M S",
        "2019-07-21Text Size: A A A",
        "chinadaily.com.cn| Updated : Sep 15, 2022",
        "來源:中央廣電總臺國際在線 | 2021-12-12 14:20:47",
        "新民晚报 发布时间:2023-01-04 10:54:59 作者:唐闻宜",
        "Date:2018-10-12 09:47:00Edit:Editor of Suzhou ChinaSource:Suzhou Industrial Park",
        "30 Aug 2022, 07:34 GMT+10",
        "2017-04-19 14:16:00",
        "• Your locationú║Home >> Classic case >> Classic case",
        "当前位置：首页 > 新闻中心 > 园区动态",
        "News / Metro",
        "By micohuang",
    ],
)
def test_frame_lines_above_the_text_go(line: str) -> None:
    kept, _ = clean_paragraphs([line, LEAD], title="A headline")
    assert kept == [LEAD]


@pytest.mark.parametrize(
    "line",
    [
        "Leave a Reply",
        "Your email address will not be published. Required fields are marked *",
        "Learn More →",
        "Copyright 2020 © Shanghai Daily. All Rights Reserved. Hotline: 8621-52920043",
        "沪公网安备 31010602001940号",
        "Copyright © 2000 - 2024 HE.NEWS.CN All Rights Reserved.",
        "Opinion articles reflect the views of their authors, not necessarily those of China.org.cn.",
        "If you would like to contribute, please contact us at opinion@china.org.cn.",
        "http://www.china.org.cn/opinion/MitchellBlatt.htm",
        "1701335047303085508.jpg",
        "![]() |",
        "分享至手机",
        "加载更多",
        "Play Video",
        "0:00",
        "/2:54",
        "2024-05-24",
        "April 18, 2007",
    ],
)
def test_furniture_goes_wherever_it_stands(line: str) -> None:
    assert is_furniture(line)
    kept, _ = clean_paragraphs([LEAD, line, LEAD], title=None)
    assert kept == [LEAD, LEAD]


@pytest.mark.parametrize(
    "line",
    [
        LEAD,
        "On Oct. 23, 2024, the city opened its new park to visitors from all over the region.",
        "An aerial drone photo taken on Oct. 23, 2024 shows the scenery of Lion Grove Garden.",
        "(People's Daily November 26, 2002)",
        "Source:LivingSu Editor:Cassie",
        "（编辑：严玉洁 王辉）",
        "1月2日，苏州市新能源汽车产业创新集群建设推进大会在太仓市举行。",
        "Mitchell Blatt is a columnist with China.org.cn. For more information please visit:",
    ],
)
def test_article_text_stays(line: str) -> None:
    assert not is_furniture(line)
    kept, _ = clean_paragraphs([LEAD, line], title="A headline")
    assert kept == [LEAD, line]


def test_the_headline_and_its_decks_go_from_the_top() -> None:
    # kepu.gov.cn's Xinhua story prints its headline with a verb of saying and two decks
    title = "习近平主持召开深入推进长三角一体化发展座谈会"
    lines = [
        "习近平主持召开深入推进长三角一体化发展座谈会强调",
        "推动长三角一体化发展取得新的重大突破",
        "李强蔡奇出席",
        "新华社上海11月30日电 中共中央总书记、国家主席、中央军委主席习近平30日上午在上海主持召开座谈会。",
    ]
    assert clean_paragraphs(lines, title)[0] == lines[-1:]
    # short lines at the top with no headline or frame line after them are text
    short = ["一、总体情况", lines[-1]]
    assert clean_paragraphs(short, title)[0] == short


def test_a_menu_at_the_end_goes() -> None:
    kept, _ = clean_paragraphs([LEAD, LEAD, "Opinion", "Feature", "Regions", "Top"], None)
    assert kept == [LEAD, LEAD]
    two_short = [LEAD, "Ti Gong", "Top"]  # two short lines are no menu
    assert clean_paragraphs(two_short, None)[0] == two_short


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("作者：唐闻宜", "唐闻宜"),
        ("新民晚报 发布时间:2023-01-04 10:54:59 作者:唐闻宜", "唐闻宜"),
        ("本报讯（记者叶婉）近日，“心成长”青少年心理健康服务项目启动。", "叶婉"),
        ("记者 王乐文 方敏", "王乐文, 方敏"),
        ("记者王敬照 通讯员李明", "王敬照, 李明"),
        ("国际在线江苏报道(韩小强 通讯员 轲晓渚):12月11日", "轲晓渚"),
        ("文/张三", "张三"),
        ("By Mitchell Blatt", "Mitchell Blatt"),
        ("By micohuang", "micohuang"),
        ("By car the trip takes two hours.", None),
        ("by the way we went", None),
        ("记者从市统计局获悉，一季度全市经济运行平稳。", None),
        ("Suzhou is a city in Jiangsu.", None),
    ],
)
def test_bylines(line: str, names: str | None) -> None:
    assert byline_author(line) == names


def test_a_chinese_byline_in_the_frame_is_the_author() -> None:
    record = ARTICLES["xinmin-suzhou-nev-cluster-2023"]
    page = compose_article_html(title=record.title, text=record.body, lang="zh")
    article = extract_article(page, record.url)
    assert article.author == "唐闻宜"
    assert article.published_at == "2023-01-04T10:54:59+08:00"
    assert article.body.startswith("1月2日")


def test_an_english_byline_in_the_frame_is_the_author() -> None:
    record = ARTICLES["igbt-ic-projects-shanghai-jiangsu"]
    page = compose_article_html(title=record.title, text=record.text)
    article = extract_article(page, record.url)
    assert article.author == "micohuang"
    assert not article.body.startswith("By ")


@pytest.mark.parametrize(
    "record_id",
    [
        "snd-125-key-projects-2020",
        "jschina-suzhou-q1-2017",
        "ehangzhou-xiaoshan-manufacturing-2020",
        "ningbo-gov-manufacturing-70-years",
        "jiaxing-magnet-ezhejiang",
        "suzhou-gov-biomedicine-boom-2018",
        "zjg-summit-malaysiasun",
        "nio-china-hq-hefei-2020",
    ],
)
def test_corpus_bodies_start_with_their_text(record_id: str) -> None:
    """Issue 9: demo bodies began with a date line or site furniture; they start with text."""
    record = ARTICLES[record_id]
    page = compose_article_html(title=record.title, text=record.body, published=record.published)
    first = extract_article(page, record.url).body.split("\n\n")[0]
    assert len(first) > 60 and not is_furniture(first), first
