"""The public reporting pages (/report/): report, receipt once, return with the code, read only what
is public, add information, download one's own files, and the mine search."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from minesafe.testing.factories import World
from minesafe.tipoffs import services, views_public
from minesafe.tipoffs.models import Tipoff, TipoffAttachment, TipoffEvent

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64
DESCRIPTION = "井下-120m中段安全出口被堵塞，仍在组织生产"


def form_data(world: World, **over: object) -> dict[str, object]:
    data = {"county": "", "mine_query": "甲矿", "mine": str(world.mine_a.pk), "mine_description": "",
            "category": "major_hazard", "description": DESCRIPTION, "place": "-120m中段", "occurred_on": "",
            "anonymous": "on", "name": "", "phone": "", "email": "", "other": ""}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def submit(client: Client, world: World, **over: object) -> Tipoff:
    response = client.post(reverse("report:submit"), form_data(world, **over))
    assert response.status_code == 302 and response["Location"] == reverse("report:receipt"), response.content[:500]
    return Tipoff.objects.order_by("-pk").first()


def text_of(response) -> str:
    return response.content.decode()


def open_report(client: Client, world: World, **over: object) -> tuple[Tipoff, str, str]:
    """Submit through the page and read the code and secret from the receipt."""
    tipoff = submit(client, world, **over)
    page = text_of(client.get(reverse("report:receipt")))
    code = re.search(r'id="receipt-code">([^<]+)<', page).group(1)
    secret = re.search(r'id="receipt-secret">([^<]+)<', page).group(1)
    return tipoff, code, secret


def answered(world: World, tipoff: Tipoff, *, answer: str = "经核查，举报属实，已责令停产整改并依法处罚。") -> Tipoff:
    t = services.accept(actor=world.county_leader, tipoff=tipoff, note="内部受理备注：优先核查")
    t = services.assign(actor=world.county_leader, tipoff=t, assignee=world.county_inspector,
                        note="指派备注：带上测氧仪")
    t = services.verify(actor=world.county_inspector, tipoff=t, verified_true=True, findings="核查发现：主斜井封堵属实")
    t = services.handle(actor=world.county_inspector, tipoff=t, note="处置意见：罚款五万元，内部", fine_amount="50000")
    return services.answer(actor=world.county_inspector, tipoff=t, text=answer)


@pytest.mark.django_db
def test_the_form_explains_and_lists_counties_with_mines(world: World, client: Client) -> None:
    page = text_of(client.get(reverse("report:submit")))
    assert "12350" in page and 'id="how-it-works"' in page
    assert f'value="{world.mine_a.county_id}"' in page and f'value="{world.mine_b.county_id}"' in page
    assert 'value="110101"' not in page  # a county without registered mines is not offered
    assert re.search(r'name="anonymous"[^>]*checked', page)
    assert 'accept=".jpg,.jpeg,.png,.pdf,.docx"' in page and "multiple" in page
    assert "report-mine-search.js" in page and reverse("report:mine_search") in page
    assert "accounts:login" not in page and "/registry/" not in page  # no regulator navigation
    assert reverse("report:submit") in text_of(client.get(reverse("accounts:login")))  # linked from the login page


@pytest.mark.django_db
def test_submitting_shows_the_receipt_once_and_opens_the_report(world: World, client: Client) -> None:
    upload = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    response = client.post(reverse("report:submit"), {**form_data(world), "attachments": [upload]})
    assert response.status_code == 302 and response["Location"] == reverse("report:receipt")
    tipoff = Tipoff.objects.get()
    assert tipoff.mine == world.mine_a and tipoff.anonymous and tipoff.attachments.count() == 1
    page = text_of(client.get(reverse("report:receipt")))
    code = services.format_code(tipoff.receipt_code)
    assert code in page
    secret = re.search(r'id="receipt-secret">([^<]+)<', page).group(1)
    assert services.open_tipoff(code=code, secret=secret, client="198.51.100.99") == tipoff
    assert "no-store" in client.get(reverse("report:check"))["Cache-Control"]
    # shown once: the second visit goes to the check page, and the session no longer holds the secret
    again = client.get(reverse("report:receipt"))
    assert again.status_code == 302 and again["Location"] == reverse("report:check")
    assert secret.replace("-", "") not in str(dict(client.session))
    # the receipt opened the report for this browser
    view = client.get(reverse("report:view", args=[tipoff.receipt_code]))
    assert view.status_code == 200 and code in text_of(view) and "现场.png" in text_of(view)


@pytest.mark.django_db
def test_a_described_mine_and_contact_details(world: World, client: Client) -> None:
    tipoff = submit(client, world, mine="", mine_query="", county=world.mine_b.county_id,
                    mine_description="阜新北山无证小煤窑", anonymous=None, name="王举报", phone="13800000000")
    assert tipoff.mine is None and tipoff.division_id == world.mine_b.county_id and not tipoff.anonymous
    assert "王举报" not in tipoff.identity_sealed
    assert services.reveal_identity(actor=world.province_leader, tipoff=tipoff)["name"] == "王举报"


@pytest.mark.django_db
def test_a_refused_report_keeps_everything_typed(world: World, client: Client) -> None:
    upload = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    data = form_data(world, mine="", mine_query="", county="", mine_description="北山那个矿", description="太短了",
                     place="二号井口", occurred_on="2020-01-02", anonymous=None, name="", phone="abc",
                     other="晚上打电话")
    response = client.post(reverse("report:submit"), {**data, "attachments": [upload]})
    assert response.status_code == 200
    page = text_of(response)
    for typed in ("北山那个矿", "太短了", "二号井口", "2020-01-02", "abc", "晚上打电话"):
        assert typed in page, typed
    assert 'id="files-lost"' in page  # the files must be chosen again
    assert not re.search(r'name="anonymous"[^>]*checked', page)  # the unticked box stays unticked
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S)
    assert len(errors) >= 4  # county, description, name, phone
    assert not Tipoff.objects.exists() and not TipoffAttachment.objects.exists()


@pytest.mark.django_db
def test_a_bad_file_is_refused_with_the_text_kept(world: World, client: Client) -> None:
    bad = SimpleUploadedFile("x.png", b"not a png at all", content_type="image/png")
    response = client.post(reverse("report:submit"), {**form_data(world), "attachments": [bad]})
    assert response.status_code == 200
    page = text_of(response)
    assert DESCRIPTION in page and f'value="{world.mine_a.pk}"' in page and 'id="files-lost"' in page
    assert not Tipoff.objects.exists()


@pytest.mark.django_db
def test_too_many_reports_get_429_and_keep_the_input(world: World, client: Client, settings) -> None:
    settings.TIPOFF_SUBMIT_PER_HOUR = 1
    submit(client, world)
    response = client.post(reverse("report:submit"), form_data(world, description="第二次举报：夜班仍在违规生产作业"))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    page = text_of(response)
    assert "12350" in page and 'id="rate-limited"' in page and "第二次举报：夜班仍在违规生产作业" in page
    assert Tipoff.objects.count() == 1


@pytest.mark.django_db
def test_the_check_page_refuses_a_wrong_secret_and_opens_with_the_right_one(world: World) -> None:
    tipoff, code, secret = open_report(Client(), world)
    other = Client()
    response = other.post(reverse("report:check"), {"code": code, "secret": "WRONG-WRONG-WRON"})
    page = text_of(response)
    assert response.status_code == 200 and 'class="nonfield"' in page
    assert code in page and "WRONG-WRONG-WRON" not in page  # the code is kept, the secret never echoed
    assert other.get(reverse("report:view", args=[tipoff.receipt_code])).status_code == 404
    response = other.post(reverse("report:check"), {"code": code.lower(), "secret": secret.replace("-", " ")})
    assert response.status_code == 302 and response["Location"] == reverse("report:view", args=[tipoff.receipt_code])
    assert other.get(response["Location"]).status_code == 200
    check = text_of(other.get(reverse("report:check")))
    assert code in check and 'id="forget"' in check  # listed as opened in this browser


@pytest.mark.django_db
def test_wrong_codes_are_rate_limited(world: World, client: Client, settings) -> None:
    settings.TIPOFF_LOOKUP_FAILURES = 2
    _tipoff, code, secret = open_report(Client(), world)
    for _i in range(2):
        assert client.post(reverse("report:check"), {"code": code, "secret": "XXXX"}).status_code == 200
    response = client.post(reverse("report:check"), {"code": code, "secret": secret})
    assert response.status_code == 429 and "15" in text_of(response) and response["Retry-After"]
    assert code in text_of(response) and secret not in text_of(response)


@pytest.mark.django_db
def test_the_report_shows_only_what_is_public(world: World, client: Client) -> None:
    tipoff, _code, _secret = open_report(client, world, anonymous=None, name="王举报", phone="13912345678")
    t = answered(world, tipoff)
    t = services.decide_reward(actor=world.county_leader, tipoff=t, note="奖励内部备注")
    page = text_of(client.get(reverse("report:view", args=[tipoff.receipt_code])))
    assert "经核查，举报属实，已责令停产整改并依法处罚。" in page and 'id="report-answer"' in page
    assert re.search(r'id="report-reward">\s*7,?500', page)  # the reward decided (15 % of the fine)
    for internal in ("内部受理备注", "指派备注", "核查发现：主斜井封堵属实", "处置意见", "奖励内部备注",
                     "50000", "50,000",
                     world.county_inspector.username, world.county_leader.username, str(world.county_inspector),
                     "王举报", "13912345678"):
        assert internal not in page, internal
    def reward() -> str:
        page = text_of(client.get(reverse("report:view", args=[tipoff.receipt_code])))
        return re.search(r'id="report-reward">(.*?)</dd>', page, re.S).group(1)

    assert t.reward_decided_on.isoformat() not in reward()
    services.record_payment(actor=world.county_leader, tipoff=t, paid_on=t.reward_decided_on)
    assert t.reward_decided_on.isoformat() in reward()


@pytest.mark.django_db
def test_a_declined_report_shows_the_reason(world: World, client: Client) -> None:
    tipoff, _code, _secret = open_report(client, world)
    services.decline(actor=world.county_leader, tipoff=tipoff, reason="不属于矿山安全监管范围，已转交市场监管部门")
    page = text_of(client.get(reverse("report:view", args=[tipoff.receipt_code])))
    assert "不属于矿山安全监管范围，已转交市场监管部门" in page


@pytest.mark.django_db
def test_a_merged_report_shows_the_earlier_reports_answer(world: World, client: Client) -> None:
    first = services.submit_tipoff(data={"category": "major_hazard", "description": DESCRIPTION, "anonymous": True,
                                         "mine": world.mine_a.pk}, client="198.51.100.3").tipoff
    services.add_information(tipoff=first, text="第一位举报人的补充材料", client="198.51.100.3")
    later, _code, _secret = open_report(client, world)
    services.merge(actor=world.county_leader, duplicate=later, primary=first, note="合并内部说明")
    answered(world, first, answer="经核查属实，已依法处理。")
    services.decide_reward(actor=world.county_leader, tipoff=Tipoff.objects.get(pk=first.pk))
    page = text_of(client.get(reverse("report:view", args=[later.receipt_code])))
    assert 'id="primary-answer"' in page and "经核查属实，已依法处理。" in page
    for hidden in ("第一位举报人的补充材料", "合并内部说明", services.format_code(first.receipt_code),
                   first.receipt_code, "7,500", "7500", "处置意见"):
        assert hidden not in page, hidden
    assert 'id="add-information"' not in page  # a merged report takes no more information
    assert client.get(reverse("report:view", args=[first.receipt_code])).status_code == 404


@pytest.mark.django_db
def test_the_reporter_adds_information(world: World, client: Client) -> None:
    tipoff, _code, _secret = open_report(client, world)
    url = reverse("report:view", args=[tipoff.receipt_code])
    upload = SimpleUploadedFile("补充.png", PNG, content_type="image/png")
    response = client.post(url, {"text": "补充：夜班22点后开工", "attachments": [upload]})
    assert response.status_code == 302 and response["Location"] == url
    event = TipoffEvent.objects.get(tipoff=tipoff, kind="information")
    assert event.message == "补充：夜班22点后开工" and tipoff.attachments.count() == 1
    page = text_of(client.get(url))
    assert "补充：夜班22点后开工" in page and "补充.png" in page
    # refused: a bad file; the text is kept
    bad = SimpleUploadedFile("x.pdf", b"no pdf", content_type="application/pdf")
    response = client.post(url, {"text": "再补充一条线索", "attachments": [bad]})
    assert response.status_code == 200 and "再补充一条线索" in text_of(response) and "errorlist" in text_of(response)
    response = client.post(url, {"text": "  "})
    assert response.status_code == 200 and "errorlist" in text_of(response)
    assert TipoffEvent.objects.filter(tipoff=tipoff, kind="information").count() == 1


@pytest.mark.django_db
def test_adding_information_to_a_closed_report_is_refused(world: World, client: Client) -> None:
    tipoff, _code, _secret = open_report(client, world)
    t = services.decline(actor=world.county_leader, tipoff=tipoff, reason="重复举报")
    t = services.answer(actor=world.county_leader, tipoff=t, text="重复举报，已并案处理。")
    services.close(actor=world.county_leader, tipoff=t)
    url = reverse("report:view", args=[tipoff.receipt_code])
    assert 'id="add-information"' not in text_of(client.get(url))
    response = client.post(url, {"text": "还有一条"})
    assert response.status_code == 200 and "还有一条" not in [e.message for e in TipoffEvent.objects.all()]


@pytest.mark.django_db
def test_files_download_only_for_the_session_that_opened_the_report(world: World, client: Client) -> None:
    upload = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    client.post(reverse("report:submit"), {**form_data(world), "attachments": [upload]})
    client.get(reverse("report:receipt"))
    att = TipoffAttachment.objects.get()
    url = reverse("report:attachment", args=[att.tipoff.receipt_code, att.pk])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert Client().get(url).status_code == 404
    # a file the verifier attached is not the reporter's to download
    internal = TipoffAttachment.objects.create(tipoff=att.tipoff, file=att.file.name, original_name="核查.png",
                                               content_type="image/png", size=len(PNG), sha256=att.sha256,
                                               from_reporter=False, uploaded_by=world.county_inspector)
    assert client.get(reverse("report:attachment", args=[att.tipoff.receipt_code, internal.pk])).status_code == 404
    # nor is a file of another report reachable through a granted report's code
    other = services.submit_tipoff(data={"category": "other", "description": DESCRIPTION, "anonymous": True,
                                         "mine": world.mine_a.pk},
                                   attachments=[SimpleUploadedFile("别人的.png", PNG)], client="198.51.100.5").tipoff
    foreign = other.attachments.get()
    assert client.get(reverse("report:attachment", args=[att.tipoff.receipt_code, foreign.pk])).status_code == 404
    assert client.get(reverse("report:attachment", args=[other.receipt_code, foreign.pk])).status_code == 404
    assert "核查.png" not in text_of(client.get(reverse("report:view", args=[att.tipoff.receipt_code])))


@pytest.mark.django_db
def test_another_browser_without_the_grant_gets_404_and_leaving_drops_it(world: World, client: Client) -> None:
    tipoff, _code, _secret = open_report(client, world)
    url = reverse("report:view", args=[tipoff.receipt_code])
    assert client.get(url).status_code == 200
    assert Client().get(url).status_code == 404
    regulator = Client()
    regulator.force_login(world.county_leader)
    assert regulator.get(url).status_code == 404  # the public page needs the code, whoever asks
    assert Client().get(reverse("report:view", args=["JB2345678923"])).status_code == 404
    response = client.post(reverse("report:forget"))
    assert response.status_code == 302 and response["Location"] == reverse("report:check")
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_mine_search_returns_public_facts(world: World, client: Client) -> None:
    url = reverse("report:mine_search")
    results = client.get(url, {"q": "甲矿"}).json()["results"]
    assert results == [{"id": world.mine_a.pk, "name": "甲矿", "county": world.mine_a.county.full_name,
                        "county_code": world.mine_a.county_id}]
    assert client.get(url, {"q": "甲"}).json()["results"] == []  # at least 2 characters
    assert client.get(url, {"q": "甲矿", "county": world.mine_b.county_id}).json()["results"] == []
    assert {m["id"] for m in client.get(url, {"q": "乙矿"}).json()["results"]} == {world.mine_b.pk}


@pytest.mark.django_db
def test_the_mine_search_is_rate_limited(world: World, client: Client, monkeypatch) -> None:
    monkeypatch.setattr(views_public, "SEARCH_PER_MINUTE", 2)
    url = reverse("report:mine_search")
    assert client.get(url, {"q": "甲矿"}).status_code == 200
    assert client.get(url, {"q": "甲矿"}).status_code == 200
    response = client.get(url, {"q": "甲矿"})
    assert response.status_code == 429 and response.json()["detail"] and int(response["Retry-After"]) > 0
    assert Client(REMOTE_ADDR="198.51.100.77").get(url, {"q": "甲矿"}).status_code == 200
