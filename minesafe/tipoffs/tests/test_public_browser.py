"""Browser test of the public reporting pages: a reporter finds the mine with the search box, sends a
report with a photo, reads the code and secret from the receipt, comes back later in a fresh browser
session with them and reads the regulator's answer.

Skips locally when chromium is missing and fails under CI=true (minesafe/core/tests/test_browser.py).
"""

from __future__ import annotations

import pytest

from minesafe.core.tests.test_browser import ARTIFACTS, _browser
from minesafe.testing.factories import World
from minesafe.tipoffs import services
from minesafe.tipoffs.models import Tipoff

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
ANSWER = "经核查，您反映的安全出口被堵塞问题属实，已责令该矿停产整改并依法处罚。感谢您的监督。"


@pytest.mark.django_db(transaction=True)
def test_report_get_a_code_return_and_read_the_answer(live_server, world: World, tmp_path) -> None:
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    base = live_server.url
    with _browser() as browser:
        page = browser.new_page()
        page.goto(f"{base}/report/")
        page.fill("#mine-search", "甲矿")
        option = page.locator(".mine-option", has_text="甲矿")
        option.wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-form.png"), full_page=True)
        option.click()
        assert page.input_value("#id_mine") == str(world.mine_a.pk)
        assert page.input_value("#id_county") == world.mine_a.county_id
        page.select_option("#id_category", "major_hazard")
        page.fill("#id_description", "井下-120m中段安全出口被杂物堵塞，夜班仍在组织生产")
        page.fill("#id_place", "-120m中段")
        page.set_input_files("#id_attachments", str(photo))
        assert page.is_checked("#id_anonymous")
        page.fill("#id_phone", "13800000000")
        page.click("#report-submit")
        page.wait_for_url(f"{base}/report/receipt/")
        code = page.locator("#receipt-code").inner_text().strip()
        secret = page.locator("#receipt-secret").inner_text().strip()
        page.screenshot(path=str(ARTIFACTS / "report-receipt.png"), full_page=True)
        page.reload()  # shown once
        assert "/report/check/" in page.url and page.locator("#receipt-secret").count() == 0

        tipoff = Tipoff.objects.get()
        assert services.format_code(tipoff.receipt_code) == code and tipoff.attachments.count() == 1
        t = services.accept(actor=world.county_leader, tipoff=tipoff)
        t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_inspector)
        t = services.verify(actor=world.county_inspector, tipoff=t, verified_true=True, findings="现场核实：情况属实")
        t = services.handle(actor=world.county_inspector, tipoff=t, note="责令停产整改，罚款五万元",
                            fine_amount="50000")
        services.answer(actor=world.county_inspector, tipoff=t, text=ANSWER)

        later = browser.new_context().new_page()  # another day: a new browser session
        later.goto(f"{base}/report/check/")
        later.fill("#id_code", code)
        later.fill("#id_secret", secret)
        later.click("#check-submit")
        later.wait_for_url(f"{base}/report/view/{tipoff.receipt_code}/")
        assert ANSWER in later.locator("#report-answer").inner_text()
        assert "现场.png" in later.locator("#files").inner_text()
        assert "罚款五万元" not in later.content() and "county_inspector" not in later.content()
        later.screenshot(path=str(ARTIFACTS / "report-answer.png"), full_page=True)
