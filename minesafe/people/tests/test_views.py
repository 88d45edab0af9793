"""People pages: masking everywhere, the reveal page, forms and scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from minesafe.people.models import Person, Post, TrainingSession
from minesafe.people.tests.helpers import make_id, person, post

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_show_only_the_masked_number(world) -> None:
    number = make_id()
    p = person(world.ent_principal, id_number=number)
    pt = post(world.ent_principal, p, world.mine_a, kind="mine_manager")
    client = _client(world.ent_principal)
    for url in (reverse("people:person_list"), reverse("people:person_detail", args=[p.pk]),
                reverse("people:person_edit", args=[p.pk]), reverse("people:post_edit", args=[pt.pk]),
                reverse("people:mine_compliance", args=[world.mine_a.pk]), reverse("people:finding_list"),
                reverse("people:compliance"), reverse("people:person_reveal", args=[p.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert number not in response.content.decode(), url
    assert p.id_masked in client.get(reverse("people:person_detail", args=[p.pk])).content.decode()
    revealed = client.post(reverse("people:person_reveal", args=[p.pk]), {"reason": "保险"})
    assert number in revealed.content.decode() and revealed["Cache-Control"] == "no-store"


def test_create_person_and_post_through_the_forms(world) -> None:
    client = _client(world.ent_safety)
    number = make_id()
    response = client.post(reverse("people:person_create"), {
        "name": "李四", "id_number": number, "education": "high_school", "years_experience": "3",
        "employment_type": "intern"})
    p = Person.objects.get(name="李四")
    assert response.status_code == 302 and p.employment_type == "intern"
    response = client.post(reverse("people:post_create", args=[p.pk]), {
        "mine": world.mine_a.pk, "kind": "worker", "underground": "on", "start_date": "2025-01-01"})
    assert response.status_code == 302 and Post.objects.filter(person=p).exists()
    # a bad ID number is a form error
    response = client.post(reverse("people:person_create"), {
        "name": "王五", "id_number": "12345", "education": "high_school", "years_experience": "3",
        "employment_type": "regular"})
    assert response.status_code == 200 and "身份证号码" in response.content.decode()
    response = client.post(reverse("people:training_create"), {
        "mine": world.mine_a.pk, "date": dt.date.today().isoformat(), "kind": "drill", "title": "演练",
        "attendees": [p.pk]})
    assert response.status_code == 302 and TrainingSession.objects.get().attendance.count() == 1


def test_other_enterprise_and_county_get_404(world) -> None:
    p = person(world.ent_principal)
    post(world.ent_principal, p, world.mine_a)
    for user in (world.other_ent_principal, world.other_county_inspector):
        client = _client(user)
        assert client.get(reverse("people:person_detail", args=[p.pk])).status_code == 404
        assert client.get(reverse("people:mine_compliance", args=[world.mine_a.pk])).status_code == 404
        assert p.name not in client.get(reverse("people:person_list")).content.decode()


def test_import_page_queues_a_job_whose_page_reports_rows(world, settings, django_capture_on_commit_callbacks) -> None:
    import io

    from openpyxl import Workbook

    settings.IMPORT_RUN_INLINE = True
    wb = Workbook()
    wb.active.append(["姓名", "身份证号", "学历", "用工形式"])
    wb.active.append(["张三", make_id(), "高中", "正式"])
    wb.active.append(["李四", "bad", "高中", "正式"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.name = "roster.xlsx"
    buf.seek(0)
    client = _client(world.ent_principal)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:import"), {"kind": "roster", "file": buf})
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert 'id="import-errors"' in body and "身份证号" in body
    assert Person.objects.filter(name="张三").exists() and not Person.objects.filter(name="李四").exists()
