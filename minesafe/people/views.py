"""People pages: roster, persons and posts, training and drills, findings, compliance per mine and
per division, xlsx import/export. Views parse input, call one service and render; every queryset
starts from ``visible_to``; ID numbers appear masked except on the audited reveal page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.decorators import requires
from minesafe.accounts.queries import division_options
from minesafe.core import jobs
from minesafe.core.charts import grouped_bars
from minesafe.core.errors import FieldErrors
from minesafe.core.forms import apply_field_errors
from minesafe.core.listing import apply_listing
from minesafe.core.middleware import request_id_of
from minesafe.core.models import ImportJob
from minesafe.core.querysets import code_prefix_q
from minesafe.core.xlsx import XLSX_CONTENT_TYPE
from minesafe.people import io, queries, services
from minesafe.people.choices import SEVERITY_COLOURS, Consequence, Education, EmploymentType, PostKind, TrainingKind
from minesafe.people.forms import AttendeesForm, ImportForm, PersonForm, PostForm, RevealForm, TrainingForm
from minesafe.people.models import Finding, MineCheck, Person, Post, TrainingSession
from minesafe.registry.models import Mine


def _active_posts(request: HttpRequest) -> Any:
    today = timezone.localdate()
    return Post.objects.visible_to(request.user).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=today)).select_related("mine")


# --- persons ---------------------------------------------------------------------------------

PERSON_SORTS = {"name": "name", "education": "education", "employment": "employment_type",
                "years": "years_experience", "enterprise": "enterprise__name", "updated": "updated_at"}


def _person_listing(request: HttpRequest, paginate: bool = True) -> Any:
    qs = Person.objects.visible_to(request.user).select_related("enterprise")
    mine = request.GET.get("mine", "").strip()
    if mine:
        ids = Post.objects.visible_to(request.user).filter(mine_id=mine if mine.isdigit() and len(mine) < 18 else 0)
        qs = qs.filter(pk__in=ids.values("person_id"))
    division = request.GET.get("division", "").strip()[:12]
    if division:
        qs = qs.filter(pk__in=Post.objects.filter(code_prefix_q("mine__county__code", division)).values("person_id"))
    listing = apply_listing(
        request, qs, search_fields=("name", "major", "contractor"),
        filter_fields={"education": "education", "employment_type": "employment_type"},
        sort_fields=PERSON_SORTS, default_sort="name", paginate=paginate,
    )
    for key, value in (("mine", mine), ("division", division)):
        if value:
            listing.filters[key] = value
    return listing


@requires("people.view")
def person_list(request: HttpRequest) -> HttpResponse:
    listing = _person_listing(request)
    people = list(listing.page)
    posts: dict[int, list[Post]] = {}
    for post in _active_posts(request).filter(person__in=people):
        posts.setdefault(post.person_id, []).append(post)
    rows = [(p, posts.get(p.pk, [])) for p in people]
    return render(request, "people/person_list.html", {
        "listing": listing, "rows": rows, "educations": Education.choices, "employment_types": EmploymentType.choices,
        "divisions": division_options(request.user),
    })


@requires("people.export")
def roster_export(request: HttpRequest) -> HttpResponse:
    listing = _person_listing(request, paginate=False)
    content = io.export_roster(listing.queryset, Post.objects.visible_to(request.user).filter(
        person__in=listing.queryset.values("pk")))
    return _xlsx(content, "roster")


@requires("people.view")
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.visible_to(request.user).select_related("enterprise"), pk=pk)
    return render(request, "people/person_detail.html", {
        "p": person,
        "posts": Post.objects.visible_to(request.user).filter(person=person).select_related("mine"),
        "sessions": TrainingSession.objects.visible_to(request.user).filter(attendance__person=person)
        .select_related("mine")[:50],
        "findings": Finding.objects.visible_to(request.user).filter(person=person).select_related("mine"),
        "duplicates": queries.duplicate_count(person),
        "colours": SEVERITY_COLOURS,
    })


@requires("people.manage")
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.create_person(actor=request.user, data=form.cleaned_data,
                                            request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(person)
    return render(request, "core/form.html", {"form": form, "title": _("New person")})


@requires("people.manage")
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_person(actor=request.user, person=person, data=form.cleaned_data,
                                   request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(person)
    return render(request, "core/form.html", {"form": form, "title": _("Edit person"), "object": person})


@requires("people.reveal_id")
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Full ID number after a POST with an optional reason; each reveal is in the audit log."""
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    form = RevealForm(request.POST or None)
    number = None
    if request.method == "POST" and form.is_valid():
        number = services.reveal_id_number(actor=request.user, person=person, reason=form.cleaned_data["reason"],
                                           request_id=request_id_of(request))
    response = render(request, "people/person_reveal.html", {"p": person, "form": form, "number": number})
    response["Cache-Control"] = "no-store"
    return response


# --- posts -----------------------------------------------------------------------------------


def _post_form(request: HttpRequest, person: Person, instance: Post | None) -> HttpResponse:
    form = PostForm(request.POST or None, person=person, user=request.user, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "mine"}
        try:
            if instance is None:
                services.add_post(actor=request.user, person=person, mine=form.cleaned_data["mine"], data=data,
                                  request_id=request_id_of(request))
            else:
                services.update_post(actor=request.user, post=instance, data=data, request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(person)
    title = (_("New post for %(name)s") if instance is None else _("Edit post of %(name)s")) % {"name": person.name}
    return render(request, "core/form.html", {"form": form, "title": title, "object": person})


@requires("people.manage")
def post_create(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=pk)
    return _post_form(request, person, None)


@requires("people.manage")
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(Post.objects.visible_to(request.user).select_related("person", "mine"), pk=pk)
    return _post_form(request, post.person, post)


# --- training --------------------------------------------------------------------------------

TRAINING_SORTS = {"date": "date", "mine": "mine__name", "kind": "kind", "title": "title", "attendees": "n"}


@requires("people.view")
def training_list(request: HttpRequest) -> HttpResponse:
    qs = TrainingSession.objects.visible_to(request.user).select_related("mine").annotate(n=Count("attendance"))
    listing = apply_listing(request, qs, search_fields=("title", "mine__name"),
                            filter_fields={"kind": "kind", "mine": "mine_id"}, sort_fields=TRAINING_SORTS,
                            default_sort="-date", int_params=frozenset({"mine"}))
    return render(request, "people/training_list.html", {"listing": listing, "kinds": TrainingKind.choices})


@requires("people.manage")
def training_create(request: HttpRequest) -> HttpResponse:
    form = TrainingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in services.TRAINING_FIELDS}
        try:
            session = services.record_training(actor=request.user, mine=form.cleaned_data["mine"], data=data,
                                               attendees=form.cleaned_data["attendees"],
                                               request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(session)
    return render(request, "core/form.html", {"form": form, "title": _("New training session or drill")})


@requires("people.view")
def training_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(TrainingSession.objects.visible_to(request.user).select_related("mine"), pk=pk)
    attendees = Person.objects.visible_to(request.user).filter(attendance__session=session).order_by("name")
    form = AttendeesForm(user=request.user, enterprise_id=session.mine.enterprise_id)
    return render(request, "people/training_detail.html", {"s": session, "attendees": attendees, "form": form})


@requires("people.manage")
def training_attendees(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(TrainingSession.objects.visible_to(request.user).select_related("mine"), pk=pk)
    form = AttendeesForm(request.POST or None, user=request.user, enterprise_id=session.mine.enterprise_id)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.add_attendees(actor=request.user, session=session,
                                           attendees=form.cleaned_data["attendees"],
                                           request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            messages.success(request, _("%(n)d attendees added.") % {"n": added})
            return redirect(session)
    return render(request, "core/form.html", {"form": form, "title": _("Add attendees"), "object": session})


# --- findings and compliance -----------------------------------------------------------------

FINDING_SORTS = {"mine": "mine__name", "rule": "rule_id", "consequence": "consequence", "severity": "severity_rank"}


def _finding_listing(request: HttpRequest, paginate: bool = True) -> Any:
    qs = Finding.objects.visible_to(request.user).select_related("mine", "person", "check_run")
    division = request.GET.get("division", "").strip()[:12]
    if division:
        qs = qs.filter(code_prefix_q("mine__county__code", division))
    listing = apply_listing(
        request, qs, search_fields=("message", "mine__name", "person__name"),
        filter_fields={"rule": "rule_id", "consequence": "consequence", "mine": "mine_id"},
        sort_fields=FINDING_SORTS, default_sort="-severity", paginate=paginate, int_params=frozenset({"mine"}),
    )
    if division:
        listing.filters["division"] = division
    return listing


@requires("people.view")
def finding_list(request: HttpRequest) -> HttpResponse:
    listing = _finding_listing(request)
    return render(request, "people/finding_list.html", {
        "listing": listing, "consequences": Consequence.choices, "colours": SEVERITY_COLOURS,
        "divisions": division_options(request.user),
    })


@requires("people.export")
def finding_export(request: HttpRequest) -> HttpResponse:
    return _xlsx(io.export_findings(_finding_listing(request, paginate=False).queryset), "people-findings")


@requires("people.view")
def compliance(request: HttpRequest) -> HttpResponse:
    """Division view: counts by rule and consequence, training rate, mines to halt, and the trend."""
    mines = Mine.objects.visible_to(request.user)
    checks = MineCheck.objects.visible_to(request.user)
    findings = Finding.objects.visible_to(request.user)
    division = request.GET.get("division", "").strip()[:12]
    if division:
        mines = mines.filter(code_prefix_q("county__code", division))
        checks = checks.filter(code_prefix_q("mine__county__code", division))
        findings = findings.filter(code_prefix_q("mine__county__code", division))
    today = timezone.localdate()
    data = queries.division_summary(mines, checks, findings)
    trend = queries.trend(checks, today)
    chart = grouped_bars([m.strftime("%y-%m") for m in trend["months"]], [
        (_("Findings"), "orange", trend["findings"]),
        (_("Mines to halt production"), "black", trend["halted"]),
    ], width=960, height=200)
    return render(request, "people/compliance.html", {
        "d": data, "chart": chart, "division": division, "divisions": division_options(request.user),
        "today": today,
    })


@requires("people.view")
def mine_compliance(request: HttpRequest, pk: int) -> HttpResponse:
    mine = get_object_or_404(Mine.objects.visible_to(request.user).select_related("enterprise", "county"), pk=pk)
    check = MineCheck.objects.filter(mine=mine, is_current=True).first()
    posts = _active_posts(request).filter(mine=mine).select_related("person").order_by("kind", "person__name")
    return render(request, "people/mine_compliance.html", {
        "m": mine, "check": check, "posts": posts, "colours": SEVERITY_COLOURS,
        "findings": Finding.objects.filter(mine=mine).select_related("person", "post"),
        "post_labels": dict(PostKind.choices),
        "sessions": TrainingSession.objects.filter(mine=mine).annotate(n=Count("attendance"))[:10],
    })


@requires("people.recheck")
def mine_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    mine = get_object_or_404(Mine.objects.visible_to(request.user), pk=pk)
    if request.method == "POST":
        services.recheck_mine(actor=request.user, mine=mine, request_id=request_id_of(request))
        messages.success(request, _("Findings recomputed."))
    return redirect("people:mine_compliance", pk=mine.pk)


# --- xlsx ------------------------------------------------------------------------------------


def _xlsx(content: bytes, stem: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.xlsx"'
    return response


_JOB_KIND = {"roster": io.ROSTER_IMPORT_KIND, "training": io.TRAINING_IMPORT_KIND}


def _my_imports(request: HttpRequest) -> QuerySet[ImportJob]:
    """The user's own roster and training runs (a run, its errors and its file belong to the uploader
    alone), newest first."""
    roster, training = (jobs.jobs_of(request.user, kind) for kind in io.JOB_KINDS)
    return (roster | training).order_by("-created_at", "-id")


@requires("people.import")
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a roster or training-attendance sheet: it becomes a background ``core.ImportJob`` and the
    user is sent to its page, which polls ``import_progress`` and then shows the result."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = _JOB_KIND[form.cleaned_data["kind"]]
        upload = form.cleaned_data["file"]
        try:
            if kind == io.ROSTER_IMPORT_KIND:
                io.own_enterprise(request.user)  # refused here rather than as a failed run
            job = jobs.start_import(kind, actor=request.user, filename=upload.name, data=upload.read(),
                                    request_id=request_id_of(request))
        except FieldErrors as exc:
            apply_field_errors(form, exc)
        else:
            return redirect(job)
    recent = list(_my_imports(request)[:10])
    labels = {kind: jobs.importer_for(kind).label for kind in io.JOB_KINDS}
    for job in recent:
        job.kind_label = labels[job.kind]
    return render(request, "people/import.html", {
        "form": form, "recent": recent, "roster_columns": io.ROSTER_COLUMNS, "training_columns": io.TRAINING_COLUMNS,
        "max_rows": settings.IMPORT_MAX_ROWS,
    })


def _own_import(request: HttpRequest, pk: int) -> ImportJob:
    return get_object_or_404(_my_imports(request), pk=pk)


@requires("people.import")
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: progress while it runs, then the rows created, updated and rejected (with reasons);
    a file rejected as a whole (nothing written) shows why."""
    job = _own_import(request, pk)
    return render(request, "people/import_job.html", {"job": job, "label": jobs.importer_for(job.kind).label})


@requires("people.import")
def import_progress(request: HttpRequest, pk: int) -> JsonResponse:
    """What the job page polls (``static/js/import-progress.js``)."""
    return JsonResponse(jobs.progress_payload(_own_import(request, pk)))


@requires("people.import")
def roster_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(io.roster_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


@requires("people.import")
def training_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(io.training_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="training-template.xlsx"'
    return response


