"""The site as a researcher uses it, in Debian's Chromium driven by Playwright: search from the
table's box in English and Chinese, a facet, an article page with its figures, every canned
query, a CSV download and the dashboard. Any JavaScript error fails the test; every page is
saved as a 1400 px wide screenshot under test-artifacts/screenshots/ and must not scroll
sideways."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import ROOT, rows

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by `make test`; never downloaded
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
WIDTH = 1400
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CANNED = yaml.safe_load((ROOT / "datasette_metadata.yml").read_text(encoding="utf-8"))["databases"][
    "yrdnews"
]["queries"]
PARAMETERS = {
    "search": {"q": "苏州"},
    "largest_amounts": {"currency": "usd"},
    "metric_over_time": {"metric": "GDP"},
    "entity_articles": {"entity": "苏州"},
    "people_titles": {"person": "Cao"},
    "place_articles": {"place": "蘇州市"},
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, datasette: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, base_url=datasette,
                                  accept_downloads=True)  # fmt: skip
    context.set_default_timeout(20_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    context.close()
    assert errors == [], errors


def shoot(page: Page, name: str) -> Path:
    """Save the page as a screenshot; it must fit the window's width."""
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, (
        f"{name} scrolls sideways"
    )
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path)
    return path


def canned_ids(base: str, words: str) -> set[int]:
    url = f"{base}/yrdnews/search.json?" + urllib.parse.urlencode({"q": words, "_shape": "objects"})
    with urllib.request.urlopen(url, timeout=30) as response:
        return {row["article_id"] for row in json.load(response)["rows"]}


def shown_ids(page: Page) -> set[int]:
    return {int(t) for t in page.locator("table.rows-and-columns td.col-id").all_inner_texts()}


@pytest.mark.parametrize(
    ("words", "name"),
    [
        ("Suzhou OR Wuxi", "search-english"),
        ("工业园区", "search-chinese"),
        ("蘇州", "search-traditional"),
    ],  # fmt: skip
)
def test_search_from_the_tables_search_box(
    page: Page, datasette: str, words: str, name: str
) -> None:
    page.goto("/yrdnews/articles?_size=100")
    page.fill("input#_search", words)
    page.press("input#_search", "Enter")
    page.wait_for_url(re.compile(r"_search="))
    expected = canned_ids(datasette, words)
    assert expected and shown_ids(page) == expected
    shoot(page, name)


def test_a_place_facet_filters_the_articles(page: Page) -> None:
    page.goto("/yrdnews/articles?_size=100")
    facet = page.locator(".facet-info").filter(has_text="place (mentions)").locator("li a").first
    label = facet.inner_text()
    count = int(facet.locator("xpath=..").inner_text().removeprefix(label).strip().replace(",", ""))
    facet.click()
    page.wait_for_url(re.compile(r"_mentions="))
    assert len(shown_ids(page)) == count
    assert f"{count} row" in page.locator("h3").first.inner_text()
    shoot(page, "facet-place")


def test_the_article_page_marks_its_figures(page: Page, demo: Path) -> None:
    db = demo / "yrdnews.db"
    ((article_id, figures),) = rows(db, """select articles.id, count(*) from articles
        join figures on figures.article_id = articles.id where articles.title like '%Post-4-Trillion%'
        and articles.url like '%techtography.com%' group by articles.id""")  # fmt: skip
    page.goto(f"/yrdnews/articles/{article_id}")
    marked = page.locator(".yrd-body a.yrd-figure")
    assert marked.count() == figures
    four_trillion = page.locator(".yrd-body a.yrd-figure", has_text="4 trillion yuan").first
    four_trillion.hover()
    assert four_trillion.get_attribute("title").startswith("money: 4 trillion CNY")
    assert "metric: industrial output" in four_trillion.get_attribute("title")
    assert page.locator("h1").inner_text().startswith("In the “Post-4-Trillion” era")
    assert page.locator(".yrd-body a.yrd-place").count() > 0
    shoot(page, "article-en")
    ((chinese,),) = rows(db, "select id from articles where title like '%新能源汽车%' limit 1")
    page.goto(f"/yrdnews/articles/{chinese}")
    title_box = page.locator("h1").bounding_box()
    assert (
        title_box["height"] < 140
    )  # a Chinese title reads along the line, not one character per line
    assert page.locator(".yrd-body a.yrd-figure").count() > 0
    shoot(page, "article-zh")


@pytest.mark.parametrize("name", sorted(CANNED))
def test_each_canned_query_with_a_parameter(page: Page, name: str) -> None:
    query = urllib.parse.urlencode(PARAMETERS.get(name, {}))
    page.goto(f"/yrdnews/{name}" + (f"?{query}" if query else ""))
    body_rows = page.locator("table.rows-and-columns tbody tr")
    assert body_rows.count() > 0, name
    for row in body_rows.all()[:20]:
        if (
            row.locator("td.col-articles").count()
            and row.locator("td.col-articles").inner_text() == "0"
        ):
            continue  # a source with no article yet has none to link
        assert row.locator('a[href^="/yrdnews/articles"]').count() > 0, name
    shoot(page, f"query-{name}")


def test_a_csv_download_has_every_row(page: Page, datasette: str) -> None:
    page.goto("/yrdnews/articles?_search=Suzhou")
    shown = int(
        re.search(r"([\d,]+) rows?", page.locator("h3").first.inner_text())[1].replace(",", "")
    )
    href = page.locator('a[href*=".csv"]').first.get_attribute("href")
    with page.expect_download() as download:
        page.evaluate("url => { location.href = url }", href + "&_dl=1")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == shown > 0
    assert all("suzhou" in (r["title"] + r["body"]).lower() for r in records)


def test_the_dashboard_draws_every_chart(page: Page) -> None:
    page.goto("/-/dashboards/yrdnews")
    page.wait_for_load_state("networkidle")
    cards = page.locator(".dashboard-card")
    assert cards.count() == 8
    page.wait_for_function(
        "document.querySelectorAll('.dashboard-card svg, .dashboard-card canvas').length >= 5"
    )
    assert page.locator(".dashboard-card").filter(has_text="Articles").first.inner_text().strip()
    shoot(page, "dashboard")


def test_the_home_and_search_all_pages(page: Page) -> None:
    page.goto("/")
    shoot(page, "home")
    page.goto("/-/search?q=Suzhou")
    heading = page.locator("h2", has_text="in yrdnews: articles")
    heading.wait_for()
    assert int(heading.inner_text().split()[0]) > 0
    shoot(page, "search-all")
