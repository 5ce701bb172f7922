"""The page (``reports/page/``), driven in a real headless browser: the distribution's chromium and its
chromedriver (``.ci/run`` installs them from apt). Made from the committed matrix, it must show what
``tfmatrix lookup`` answers, cell for cell, fetch nothing from the network, and work by keyboard and at
a phone's width. A screenshot of each first screen goes to the tests' output folder.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from packaging.version import Version

from conftest import ROOT
from tfmatrix import lookup, page

selenium = pytest.importorskip("selenium")
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

SUMMARY: dict[str, Any] = json.loads((ROOT / "reports" / "matrix.json").read_text(encoding="utf-8"))
DATES = json.loads((ROOT / "reports" / "release-dates.json").read_text(encoding="utf-8"))
DESKTOP, PHONE = (1280, 800), (390, 844)


def browser_missing() -> str:
    """Why no browser can run here, or ''."""
    for program in ("chromium", "chromedriver"):
        if shutil.which(program) is None:
            return f"no {program}: apt-get install chromium chromium-driver"
    return ""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reports folder holding the page made from the committed matrix, and the matrix beside it."""
    reports = tmp_path_factory.mktemp("reports")
    (reports / page.FOLDER).mkdir()
    for name, text in page.files(SUMMARY, DATES).items():
        (reports / page.FOLDER / name).write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "reports" / "matrix.json", reports / "matrix.json")
    return reports


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    missing = browser_missing()
    if missing:
        if os.environ.get("TFMATRIX_BROWSER_REQUIRED"):  # .ci/run installs it: there, a missing browser fails
            pytest.fail(missing)
        pytest.skip(missing)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_window_size(*DESKTOP)
    yield driver
    driver.quit()


def opened(browser: webdriver.Chrome, url: str) -> webdriver.Chrome:
    browser.get(url)
    browser.find_element(By.CSS_SELECTOR, "#grid tbody tr")  # rendered
    return browser


def requested(browser: webdriver.Chrome) -> list[str]:
    """Every URL the page asked for since the last call, as the browser's network log has it."""
    found = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            found.append(message["params"]["request"]["url"])
    return found


def shown(browser: webdriver.Chrome, column: int) -> list[tuple[str, str]]:
    """(question, verdict) of each row of the grid, in ``column`` (1: yours, 2: upgrade to)."""
    rows = browser.find_elements(By.CSS_SELECTOR, "#grid tbody tr")
    found = []
    for row in rows:
        cell = row.find_elements(By.CSS_SELECTOR, "td")[column - 1]
        verdict = cell.find_elements(By.CSS_SELECTOR, ".verdict")
        found.append(
            (row.get_attribute("data-question"), verdict[0].text.removesuffix(" (a guess)") if verdict else "")
        )
    return found


def expected(track: str, version: str) -> list[tuple[str, str]]:
    """What ``tfmatrix lookup`` answers for each recipe, in its order."""
    answer = lookup.answer(SUMMARY, track, Version(version), version)
    return [(recipe["id"], recipe["verdict"]) for recipe in answer["recipes"]]


def screenshot(browser: webdriver.Chrome, tmp_path_factory: pytest.TempPathFactory, name: str) -> None:
    folder = tmp_path_factory.getbasetemp() / "page-screenshots"
    folder.mkdir(exist_ok=True)
    browser.save_screenshot(str(folder / f"{name}.png"))


def test_each_setup_offers_only_the_releases_its_track_answers_for() -> None:
    """No picker offers a guess across another library: standalone Keras 2 stops before 2.4, graph mode before 2."""
    offered = {s["track"]: [v for v, _ in s["versions"]] for s in page.data(SUMMARY, DATES)["setups"]}
    assert offered["keras2"][-1] == "2.3.1"
    assert offered["graph"][-1] == "1.15.5"
    assert offered["bundled"][-1] == max(offered["bundled"], key=Version)  # the others as before


@pytest.mark.parametrize(
    ("query", "track", "version"),
    [
        ("?tf=2.15.0", "bundled", "2.15.0"),
        ("?tf=2.16.2&tf-keras=1", "tf-keras", "2.16.2"),
        ("?keras=3.8&backend=jax", "keras-jax", "3.8.0"),
        ("?keras=3.8", "keras-tensorflow", "3.8.0"),  # a name not asked: the first setup it names
    ],
)
def test_the_url_picks_the_setup_and_the_grid_is_lookups_answer(
    browser: webdriver.Chrome, site: Path, query: str, track: str, version: str
) -> None:
    opened(browser, (site / "page" / "index.html").as_uri() + query)
    assert shown(browser, 1) == expected(track, version)
    latest = next(s for s in page.data(SUMMARY, DATES)["setups"] if s["track"] == track)["versions"][-1][0]
    assert shown(browser, 2) == expected(track, latest)
    assert version in browser.find_element(By.ID, "yours-head").text


def test_the_pickers_choose_a_setup_and_the_url_follows(browser: webdriver.Chrome, site: Path) -> None:
    opened(browser, (site / "page" / "index.html").as_uri())
    Select(browser.find_element(By.ID, "yours-setup")).select_by_visible_text("Keras on jax")
    Select(browser.find_element(By.ID, "yours-version")).select_by_visible_text("3.8.0")
    Select(browser.find_element(By.ID, "to-version")).select_by_visible_text("3.10.0")
    assert parse_qs(urlparse(browser.current_url).query) == {"keras": ["3.8.0"], "backend": ["jax"], "to": ["3.10.0"]}
    assert shown(browser, 1) == expected("keras-jax", "3.8.0")
    assert shown(browser, 2) == expected("keras-jax", "3.10.0")
    changed = {row.get_attribute("data-question") for row in browser.find_elements(By.CSS_SELECTOR, "#grid tr.changes")}
    assert changed == {
        q for (q, a), (_, b) in zip(shown(browser, 1), shown(browser, 2), strict=True) if a and b and a != b
    }


def test_a_cell_opens_its_cases_fixes_changes_and_repro_by_keyboard(browser: webdriver.Chrome, site: Path) -> None:
    opened(browser, (site / "page" / "index.html").as_uri() + "?tf=2.1.0")
    question = "freeze/timing"
    cell = browser.find_element(By.CSS_SELECTOR, f'button.cell[data-question="{question}"][data-column="yours"]')
    cell.send_keys(Keys.ENTER)
    details = browser.find_element(By.ID, "details")
    assert details.is_displayed()
    assert browser.switch_to.active_element == details
    cases = SUMMARY_CASES(question, "tensorflow-cpu-2.1.0")
    rows = details.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert [row.find_elements(By.TAG_NAME, "td")[0].text for row in rows] == list(cases)
    assert [row.find_elements(By.TAG_NAME, "td")[2].text for row in rows] == [c["verdict"] for c in cases.values()]
    assert "uv run tfmatrix repro" in details.text
    assert "What to do" in details.text
    details.send_keys(Keys.ESCAPE)
    assert not details.is_displayed()
    assert browser.switch_to.active_element == cell


def SUMMARY_CASES(question: str, environment: str) -> dict[str, dict[str, Any]]:
    """The question's cases on ``environment``, as matrix.json has them, in its order."""
    found = next(q for q in SUMMARY["questions"] if q["id"] == question)
    return {case: by_env[environment] for case, by_env in found["cases"].items() if environment in by_env}


def test_an_unknown_version_in_the_url_says_so(browser: webdriver.Chrome, site: Path) -> None:
    opened(browser, (site / "page" / "index.html").as_uri() + "?tf=9.9")
    message = browser.find_element(By.ID, "message")
    assert message.is_displayed()
    assert 'TensorFlow: "9.9" is not a release the matrix knows of' in message.text


def test_an_unknown_choice_in_the_url_says_which_there_are(browser: webdriver.Chrome, site: Path) -> None:
    opened(browser, (site / "page" / "index.html").as_uri() + "?keras=3.8&backend=mxnet")
    message = browser.find_element(By.ID, "message")
    assert 'No setup with backend "mxnet" was probed: pick one of tensorflow, jax, torch.' in message.text


def test_one_recipe_across_every_release(browser: webdriver.Chrome, site: Path) -> None:
    browser.get((site / "page" / "index.html").as_uri() + "?view=recipe&recipe=gan/recipe")
    tables = browser.find_elements(By.CSS_SELECTOR, "#recipe-table table")
    assert [t.find_element(By.TAG_NAME, "caption").text for t in tables] == [
        s["title"] for s in page.data(SUMMARY, DATES)["setups"]
    ]
    assert browser.find_element(By.ID, "recipe-view").is_displayed()


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_nothing_is_fetched_from_the_network(browser: webdriver.Chrome, site: Path, served: str) -> None:
    requested(browser)  # what came before
    for url in (
        (site / "page" / "index.html").as_uri() + "?tf=2.15.0",
        f"{served}/page/index.html?keras=3.8&backend=jax",
    ):
        opened(browser, url)
        browser.find_element(By.CSS_SELECTOR, "button.cell").click()
        origin = url.split("/page/")[0]
        assert [u for u in requested(browser) if not u.startswith(origin)] == []
        assert shown(browser, 1)


def test_first_screens_at_desktop_and_phone_width(
    browser: webdriver.Chrome, site: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The grid answers on the first screen, and a phone needs no sideways scrolling; screenshots kept."""
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        browser.set_window_size(*size)
        opened(browser, (site / "page" / "index.html").as_uri() + "?tf=2.15.0")
        screenshot(browser, tmp_path_factory, f"first-screen-{name}")
        wide = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, f"{name}: {wide} px wider than the screen"
        first_row = browser.find_element(By.CSS_SELECTOR, "#grid tbody tr")
        assert first_row.rect["y"] < size[1], f"{name}: the grid starts below the first screen"
    browser.set_window_size(*DESKTOP)


# The markdown as GitHub lays it out: its font at 16 px, its cell padding, a table as wide as its content
# up to the text's width, then scrolled. A file's text is at most 900 px wide; the README under a repository's
# files, at most 764 px.
GITHUB_CSS = (
    'body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif,'
    '"Noto Color Emoji";font-size:16px;line-height:1.5;width:WIDTHpx;margin:0}'
    "table{border-collapse:collapse;display:block;width:max-content;max-width:100%;overflow:auto}"
    "td,th{padding:6px 13px;border:1px solid #d1d9e0}th{font-weight:600}code{font-size:85%;padding:.2em .4em}"
)
SHOWN = [(path, 900) for path in sorted((ROOT / "reports").glob("*-matrix.md"))] + [(ROOT / "README.md", 764)]


@pytest.mark.parametrize(("markdown", "width"), SHOWN, ids=lambda shown: getattr(shown, "name", ""))
def test_every_table_fits_githubs_width(browser: webdriver.Chrome, tmp_path: Path, markdown: Path, width: int) -> None:
    """No table needs a sideways scroll where GitHub shows it."""
    import cmarkgfm  # noqa: PLC0415 - a test dependency, as selenium

    rendered = cmarkgfm.github_flavored_markdown_to_html(markdown.read_text(encoding="utf-8"))
    page_file = tmp_path / "shown.html"
    style = GITHUB_CSS.replace("WIDTH", str(width))
    page_file.write_text(f"<!doctype html><meta charset=utf-8><style>{style}</style>{rendered}", encoding="utf-8")
    browser.get(page_file.as_uri())
    widths = browser.execute_script(
        "return [...document.querySelectorAll('table')].map(t => [t.scrollWidth, t.clientWidth])"
    )
    assert widths
    assert [w for w in widths if w[0] > w[1] or w[0] > width] == []
