"""Browser smoke test: headless Debian chromium driven by Playwright logs in and opens a mine.

Skips locally when chromium is missing (scripts/ensure-chromium.sh installs it); with CI=true a
missing browser fails the test instead, so CI can never pass without running it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from minesafe.testing.factories import PASSWORD, World

pytestmark = pytest.mark.browser

CANDIDATES = [os.environ.get("CHROMIUM", ""), "/usr/bin/chromium", "/usr/bin/chromium-browser",
              shutil.which("chromium") or ""]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def _chromium() -> str:
    for path in CANDIDATES:
        if path and os.access(path, os.X_OK):
            return path
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no chromium found: the browser smoke test must run in CI")
    pytest.skip("chromium not installed (apt-get install chromium, or run `make browser`)")


@contextmanager
def _browser() -> Iterator[Any]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            yield browser
        finally:
            browser.close()


def _login(page: Any, base: str, username: str, target: str) -> None:
    page.goto(f"{base}{target}")
    assert "/accounts/login/" in page.url  # anonymous → login
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}{target}")


@pytest.mark.django_db(transaction=True)
def test_login_and_open_a_mine(live_server, world: World) -> None:
    with _browser() as browser:
        page = browser.new_page(locale="en-US")  # the UI still answers in Chinese
        _login(page, live_server.url, "county_inspector", "/registry/mines/")
        assert page.locator("text=甲矿").count() >= 1
        assert page.locator("text=乙矿").count() == 0  # another county's mine is not listed
        page.click("text=甲矿")
        page.wait_for_url(f"{live_server.url}/registry/mines/{world.mine_a.pk}/")
        assert page.locator("h1").inner_text().startswith("甲矿")
        assert page.locator("text=岫岩满族自治县").count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "mine-detail.png"), full_page=True)




@pytest.mark.django_db(transaction=True)
def test_upload_an_xlsx_and_read_the_rejections(live_server, world: World, settings, tmp_path) -> None:
    from openpyxl import Workbook

    from minesafe.registry.io import MINE_COLUMNS

    settings.IMPORT_RUN_INLINE = True  # the live server's in-memory database is not shared with threads
    headers = [c.header for c in MINE_COLUMNS]
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for name, county in (("浏览器导入矿", "210323"), ("越界导入矿", "210902")):
        row = {"矿山名称": name, "企业统一社会信用代码": world.ent_a.uscc, "区县代码": county,
               "行业类别": "金属非金属露天矿山", "规模": "小型"}
        ws.append([row.get(h) for h in headers])
    path = tmp_path / "mines.xlsx"
    wb.save(path)
    with _browser() as browser:
        page = browser.new_page()
        _login(page, live_server.url, "county_leader", "/registry/mines/import/")
        page.set_input_files("input[name=file]", str(path))
        page.click("#import-submit")
        page.wait_for_selector("#import-result")
        text = page.locator("#import-result").inner_text()
        assert "区县代码" in text and "3" in text  # row 3 rejected, with its column
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "import-result.png"), full_page=True)
