"""People state changes. Views, API, the xlsx import and the demo call these; nothing else writes.

Each writer: permission (``accounts.permissions.require``) → scope of the referenced objects →
shape checks and ``rules.people.validate_id_number`` → write inside ``transaction.atomic`` → audit
entry → :func:`recompute_mine` for every mine whose roster changed, in the same transaction, so
the stored findings always match the roster. The rules themselves (``rules.people``) only run in
:func:`recompute_mine`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minesafe.accounts.models import User
from minesafe.accounts.permissions import require
from minesafe.core import audit
from minesafe.core.errors import FieldErrors, NotFound
from minesafe.people import crypto
from minesafe.people.choices import Education, EmploymentType, PostKind, TrainingKind
from minesafe.people.models import Attendance, Finding, MineCheck, Person, Post, TrainingSession
from minesafe.registry.models import Enterprise, Mine
from minesafe.rules import people as rules

__all__ = [
    "PERSON_FIELDS", "POST_FIELDS", "TRAINING_FIELDS", "add_attendees", "add_post", "create_person", "end_post",
    "person_facts", "post_facts", "recheck_mine", "recompute_all", "recompute_mine", "record_training",
    "reveal_id_number", "update_person", "update_post",
]

PERSON_FIELDS = ("name", "id_number", "education", "major", "core_discipline", "years_experience",
                 "employment_type", "contractor", "contractor_parent_employee")
POST_FIELDS = ("kind", "underground", "start_date", "end_date", "also_holds", "certificate_type", "certificate_no",
               "certificate_issued", "certificate_expires", "first_certified", "first_underground_special_op")
TRAINING_FIELDS = ("date", "kind", "title", "hours")
_TEXT = {"name", "major", "contractor", "certificate_type", "certificate_no", "title", "id_number"}
_BOOL = {"core_discipline", "underground", "first_underground_special_op"}
_AUDIT_EXCLUDE = ("id_cipher", "id_index")  # the audit log shows the masked number only
# Mines whose roster is no longer evaluated.
_UNCHECKED_STATUSES = frozenset({"closed"})


def _today() -> dt.date:
    return timezone.localdate()


def _clean(data: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(data) - set(fields)
    if unknown:
        raise FieldErrors({k: [_("Unknown field.")] for k in sorted(unknown)})
    out: dict[str, Any] = {}
    for f in fields:
        if f not in data:
            continue
        value = data[f]
        if isinstance(value, str):
            value = value.strip()
        if value is None and f in _TEXT:
            value = ""
        if value is None and f in _BOOL:
            value = False
        out[f] = value
    return out


def _field_limits(model: type[Model], values: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    """Column limits as field errors (the API and the import reach the service without a form)."""
    for name, value in values.items():
        if value in (None, "") or name in errors:
            continue
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: S112 — not a column (id_number, attendees)
            continue
        if field.is_relation:
            continue
        try:
            field.run_validators(value)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(str(m) for m in exc.messages)


def _required(values: Mapping[str, Any], fields: Iterable[str], errors: dict[str, list[str]]) -> None:
    for f in fields:
        if values.get(f) in (None, ""):
            errors.setdefault(f, []).append(_("This field is required."))


def _choice(values: dict[str, Any], field: str, choices: Any, errors: dict[str, list[str]]) -> None:
    value = values.get(field)
    if value not in (None, "") and value not in choices.values:
        errors.setdefault(field, []).append(_("Select a valid choice."))


def _date(values: dict[str, Any], field: str, errors: dict[str, list[str]]) -> None:
    value = values.get(field)
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return
    if isinstance(value, str) and value:
        try:
            values[field] = dt.date.fromisoformat(value)
            return
        except ValueError:
            pass
    if value == "":
        values[field] = None
        return
    errors.setdefault(field, []).append(_("Enter a valid date."))


def _snapshot(person: Person) -> dict[str, Any]:
    return audit.snapshot(person, exclude=_AUDIT_EXCLUDE)


# --- persons ---------------------------------------------------------------------------------


def _validate_person(values: dict[str, Any], enterprise: Enterprise, instance: Person | None,
                     today: dt.date) -> None:
    errors: dict[str, list[str]] = {}
    _required(values, ("name", "education"), errors)
    if instance is None or "id_number" in values:
        number = rules.normalize_id_number(values.get("id_number") or "")
        values["id_number"] = number
        verdict = rules.validate_id_number(number, today, field="id_number")
        for field, messages in verdict.field_errors().items():
            errors.setdefault(field, []).extend(messages)
        if "id_number" not in errors:
            clash = Person.objects.filter(enterprise=enterprise, id_index=crypto.blind_index(number))
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                errors["id_number"] = [_("A person with this ID number is already on the enterprise's roster.")]
    _choice(values, "education", Education, errors)
    _choice(values, "employment_type", EmploymentType, errors)
    years = values.get("years_experience")
    if years in (None, ""):
        values["years_experience"] = Decimal(0)
    else:
        try:
            values["years_experience"] = Decimal(str(years)).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            errors.setdefault("years_experience", []).append(_("Enter a number."))
        else:
            if not Decimal(0) <= values["years_experience"] <= Decimal(80):
                errors.setdefault("years_experience", []).append(_("Enter a value between 0 and 80."))
    if values.get("employment_type") != EmploymentType.CONTRACTOR:
        values["contractor"] = ""
        values["contractor_parent_employee"] = None
    _field_limits(Person, {k: v for k, v in values.items() if k != "years_experience"}, errors)
    if errors:
        raise FieldErrors(errors)


def _apply_id(person: Person, number: str) -> None:
    person.id_cipher = crypto.encrypt_id(number)
    person.id_index = crypto.blind_index(number)
    person.id_masked = rules.mask_id_number(number)


def _person_enterprise(actor: User, enterprise: Enterprise | None) -> Enterprise:
    visible = Enterprise.objects.visible_to(actor)
    if enterprise is None:
        found = visible.first() if visible.count() == 1 else None
        if found is None:
            raise FieldErrors.single("enterprise", _("This field is required."))
        return found
    if not visible.filter(pk=enterprise.pk).exists():
        raise FieldErrors.single("enterprise", _("Enterprise not found."))
    return enterprise


def create_person(*, actor: User, data: Mapping[str, Any], enterprise: Enterprise | None = None,
                  request_id: str = "", today: dt.date | None = None) -> Person:
    """Put a person on an enterprise's roster (the actor's own enterprise when not given)."""
    require(actor, "people.manage")
    enterprise = _person_enterprise(actor, enterprise)
    today = today or _today()
    values = _clean(data, PERSON_FIELDS)
    _validate_person(values, enterprise, None, today)
    number = values.pop("id_number")
    person = Person(enterprise=enterprise, **values)
    _apply_id(person, number)
    try:
        with transaction.atomic():
            person.save()
            audit.record(actor=actor, action="people.person.create", obj=person, after=_snapshot(person),
                         request_id=request_id)
    except IntegrityError:
        raise FieldErrors.single(
            "id_number", _("A person with this ID number is already on the enterprise's roster.")) from None
    return person


def update_person(*, actor: User, person: Person, data: Mapping[str, Any], request_id: str = "",
                  today: dt.date | None = None, recompute: bool = True) -> Person:
    """Edit a person; an empty ``id_number`` keeps the stored one. Re-checks the person's mines."""
    require(actor, "people.manage", person)
    today = today or _today()
    values = _clean(data, PERSON_FIELDS)
    if not values.get("id_number"):
        values.pop("id_number", None)
    try:
        with transaction.atomic():
            locked = Person.objects.select_for_update().get(pk=person.pk)
            before = _snapshot(locked)
            merged = {f: getattr(locked, f) for f in PERSON_FIELDS if f != "id_number"}
            merged.update(values)
            _validate_person(merged, locked.enterprise, locked, today)
            number = merged.pop("id_number", None)
            id_changed = bool(number) and crypto.blind_index(number) != locked.id_index
            for field, value in merged.items():
                setattr(locked, field, value)
            if id_changed:
                _apply_id(locked, number)
            locked.save()
            locked.refresh_from_db()
            after = _snapshot(locked)
            if id_changed:
                after["id_number_changed"] = True
            if after != before | {"updated_at": after["updated_at"]}:
                audit.record(actor=actor, action="people.person.update", obj=locked, before=before, after=after,
                             request_id=request_id)
            if recompute:
                for mine in _mines_of(locked):
                    recompute_mine(mine, today=today)
    except IntegrityError:
        raise FieldErrors.single(
            "id_number", _("A person with this ID number is already on the enterprise's roster.")) from None
    return locked


def reveal_id_number(*, actor: User, person: Person, request_id: str = "", reason: str = "") -> str:
    """The full ID number, for roles holding ``people.reveal_id``; every reveal is audited."""
    require(actor, "people.reveal_id", person)
    with transaction.atomic():
        audit.record(actor=actor, action="people.person.reveal_id", obj=person, message=(reason or "")[:500],
                     after={"id_masked": person.id_masked}, request_id=request_id)
    return crypto.decrypt_id(person.id_cipher)


def _mines_of(person: Person) -> list[Mine]:
    return list(Mine.objects.filter(pk__in=Post.objects.filter(person=person).values("mine_id")))


# --- posts -----------------------------------------------------------------------------------


def _validate_post(actor: User, values: dict[str, Any], person: Person, mine: Mine | None) -> None:
    errors: dict[str, list[str]] = {}
    if mine is None:
        errors["mine"] = [_("This field is required.")]
    elif not Mine.objects.visible_to(actor).filter(pk=mine.pk).exists():
        errors["mine"] = [_("Mine not found.")]
    elif mine.enterprise_id != person.enterprise_id:
        errors["mine"] = [_("The mine belongs to another enterprise than the person's.")]
    for field in ("start_date", "end_date", "certificate_issued", "certificate_expires", "first_certified"):
        _date(values, field, errors)
    _required(values, ("kind", "start_date"), errors)
    _choice(values, "kind", PostKind, errors)
    also = values.get("also_holds") or []
    if isinstance(also, str):
        also = [a for a in (x.strip() for x in also.split(",")) if a]
    if not isinstance(also, list | tuple) or any(a not in PostKind.values for a in also):
        errors.setdefault("also_holds", []).append(_("Select a valid choice."))
    else:
        values["also_holds"] = sorted({a for a in also if a != values.get("kind")})
    start, end = values.get("start_date"), values.get("end_date")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        errors.setdefault("end_date", []).append(_("The end date is before the start date."))
    issued, expires = values.get("certificate_issued"), values.get("certificate_expires")
    if isinstance(issued, dt.date) and isinstance(expires, dt.date) and expires < issued:
        errors.setdefault("certificate_expires", []).append(_("The expiry date is before the issue date."))
    _field_limits(Post, {k: v for k, v in values.items() if k != "also_holds"}, errors)
    if errors:
        raise FieldErrors(errors)


def add_post(*, actor: User, person: Person, mine: Mine | None, data: Mapping[str, Any], request_id: str = "",
             today: dt.date | None = None, recompute: bool = True) -> Post:
    """Record a post the person holds at one of its enterprise's mines; re-checks that mine."""
    require(actor, "people.manage", person)
    values = _clean(data, POST_FIELDS)
    _validate_post(actor, values, person, mine)
    with transaction.atomic():
        post = Post.objects.create(person=person, mine=mine, **values)
        audit.record(actor=actor, action="people.post.create", obj=post, after=audit.snapshot(post),
                     request_id=request_id)
        if recompute:
            recompute_mine(mine, today=today)
    return post


def update_post(*, actor: User, post: Post, data: Mapping[str, Any], request_id: str = "",
                today: dt.date | None = None, recompute: bool = True) -> Post:
    """Edit a post (its mine and person stay); re-checks the mine."""
    require(actor, "people.manage", post)
    with transaction.atomic():
        locked = Post.objects.select_for_update().select_related("person", "mine").get(pk=post.pk)
        before = audit.snapshot(locked)
        values = {f: getattr(locked, f) for f in POST_FIELDS}
        values.update(_clean(data, POST_FIELDS))
        _validate_post(actor, values, locked.person, locked.mine)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.save()
        locked.refresh_from_db()
        after = audit.snapshot(locked)
        if after != before | {"updated_at": after["updated_at"]}:
            audit.record(actor=actor, action="people.post.update", obj=locked, before=before, after=after,
                         request_id=request_id)
        if recompute:
            recompute_mine(locked.mine, today=today)
    return locked


def end_post(*, actor: User, post: Post, end_date: dt.date | None = None, request_id: str = "",
             today: dt.date | None = None) -> Post:
    """The person leaves the post on ``end_date`` (default today)."""
    today = today or _today()
    return update_post(actor=actor, post=post, data={"end_date": end_date or today}, request_id=request_id,
                       today=today)


# --- training and drills ---------------------------------------------------------------------


def _validate_training(values: dict[str, Any], today: dt.date) -> None:
    errors: dict[str, list[str]] = {}
    _date(values, "date", errors)
    _required(values, ("date", "kind", "title"), errors)
    _choice(values, "kind", TrainingKind, errors)
    when = values.get("date")
    if isinstance(when, dt.date) and when > today:
        errors.setdefault("date", []).append(_("The date cannot be in the future."))
    hours = values.get("hours")
    if hours not in (None, ""):
        try:
            values["hours"] = Decimal(str(hours)).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            errors.setdefault("hours", []).append(_("Enter a number."))
        else:
            if not Decimal(0) < values["hours"] <= Decimal(1000):
                errors.setdefault("hours", []).append(_("Enter a value between 0 and 1000."))
    else:
        values["hours"] = None
    _field_limits(TrainingSession, {k: v for k, v in values.items() if k != "hours"}, errors)
    if errors:
        raise FieldErrors(errors)


def _attendees(mine: Mine, persons: Iterable[Person]) -> list[Person]:
    chosen = list({p.pk: p for p in persons}.values())
    foreign = [p for p in chosen if p.enterprise_id != mine.enterprise_id]
    if foreign:
        raise FieldErrors.single("attendees", _("Attendees must be on the roster of the mine's enterprise."))
    return chosen


def record_training(*, actor: User, mine: Mine, data: Mapping[str, Any], attendees: Iterable[Person] = (),
                    request_id: str = "", today: dt.date | None = None, recompute: bool = True) -> TrainingSession:
    """Record a training session or escape drill at a mine with its attendees; re-checks the mine."""
    require(actor, "people.manage", mine)
    today = today or _today()
    values = _clean(data, TRAINING_FIELDS)
    _validate_training(values, today)
    people = _attendees(mine, attendees)
    with transaction.atomic():
        session = TrainingSession.objects.create(mine=mine, **values)
        Attendance.objects.bulk_create([Attendance(session=session, person=p) for p in people])
        audit.record(actor=actor, action="people.training.create", obj=session,
                     after={**audit.snapshot(session), "attendees": sorted(p.pk for p in people)},
                     request_id=request_id)
        if recompute:
            recompute_mine(mine, today=today)
    return session


def add_attendees(*, actor: User, session: TrainingSession, attendees: Iterable[Person], request_id: str = "",
                  today: dt.date | None = None, recompute: bool = True) -> int:
    """Add people to a session's attendance (already present ones are skipped); returns how many were added."""
    require(actor, "people.manage", session)
    people = _attendees(session.mine, attendees)
    with transaction.atomic():
        present = set(Attendance.objects.filter(session=session).values_list("person_id", flat=True))
        new = [p for p in people if p.pk not in present]
        Attendance.objects.bulk_create([Attendance(session=session, person=p) for p in new])
        if new:
            audit.record(actor=actor, action="people.training.attendance", obj=session,
                         after={"added": sorted(p.pk for p in new)}, request_id=request_id)
            if recompute:
                recompute_mine(session.mine, today=today)
    return len(new)


# --- findings --------------------------------------------------------------------------------


def person_facts(person: Person) -> rules.PersonFacts:
    return rules.PersonFacts(
        education=rules.Education(person.education),
        core_discipline=person.core_discipline,
        years_experience=float(person.years_experience),
        employment_type=rules.EmploymentType(person.employment_type),
        employer_is_contractor_parent_entity=person.contractor_parent_employee,
        person_id=str(person.pk),
    )


def post_facts(post: Post) -> rules.PostFacts:
    return rules.PostFacts(
        kind=rules.PostKind(post.kind),
        underground=post.underground,
        certificate_type=post.certificate_type,
        certificate_no=post.certificate_no,
        certificate_issued=post.certificate_issued,
        certificate_expires=post.certificate_expires,
        first_underground_special_op=post.first_underground_special_op,
        also_holds=tuple(rules.PostKind(k) for k in post.also_holds),
        first_certified=post.first_certified,
    )


def _active(today: dt.date) -> Q:
    return Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gt=today))


def recompute_mine(mine: Mine, *, today: dt.date | None = None) -> MineCheck:
    """Evaluate the mine's roster, training and drills with ``rules.people`` and store the snapshot.

    Internal (no permission check): called by the writers above in their transaction, by
    :func:`recheck_mine` and by ``manage.py people_check``. A mine whose roster was never reported
    (no post ever recorded) and a closed mine get an empty check: the staffing rules would otherwise
    order every mine without data to halt production.

    The mine row is locked first, so two roster changes at the same mine write their snapshots one
    after the other (the second sees the first's rows) instead of racing for the one current check.
    """
    today = today or _today()
    with transaction.atomic():
        locked = Mine.objects.select_for_update().filter(pk=mine.pk).only("pk", "status", "sector").first()
        if locked is None:
            raise NotFound(f"registry.Mine {mine.pk}")
        return _recompute_locked(locked, today)


def _recompute_locked(mine: Mine, today: dt.date) -> MineCheck:
    posts = list(Post.objects.filter(mine=mine).filter(_active(today)).select_related("person"))
    reported = bool(posts) or Post.objects.filter(mine=mine).exists()
    findings: list[rules.Finding] = []
    employees: list[int] = []
    trained: set[int] = set()
    last_drill = TrainingSession.objects.filter(mine=mine, kind=TrainingKind.DRILL, date__lte=today).aggregate(
        last=Max("date"))["last"]
    if reported and mine.status not in _UNCHECKED_STATUSES:
        staff = [(person_facts(p.person), post_facts(p), str(p.pk)) for p in posts]
        findings.extend(rules.check_mine(rules.MineFacts(sector=mine.sector), staff, today))
        employees = list(dict.fromkeys(p.person_id for p in posts))
        trained = set(Attendance.objects.filter(
            session__mine=mine, session__date__year=today.year, session__date__lte=today, person_id__in=employees,
        ).exclude(session__kind=TrainingKind.DRILL).values_list("person_id", flat=True))
        findings.extend(rules.check_training(rules.TrainingFacts(
            year=today.year, employee_ids=tuple(str(e) for e in employees),
            trained_ids=frozenset(str(t) for t in trained))))
        findings.extend(rules.check_drills(last_drill, today, str(mine.pk)))
    rate = rules.annual_training_rate([str(e) for e in employees], [str(t) for t in trained])
    posts_by_pk = {str(p.pk): p for p in posts}
    counts = Counter(str(f.consequence) for f in findings)
    Finding.objects.filter(mine=mine).delete()
    MineCheck.objects.filter(mine=mine, is_current=True).update(is_current=False)
    check = MineCheck.objects.create(
        mine=mine, as_of=today, rule_version=rules.RULE_VERSION, findings_count=len(findings),
        halt_count=counts.get(rules.Consequence.halt_production.value, 0), by_consequence=dict(counts),
        employees=len(employees), trained=len(trained),
        training_rate=None if rate is None else Decimal(str(rate)), last_drill=last_drill,
    )
    rows = []
    for f in findings:
        post = posts_by_pk.get(f.subject_ref) if f.subject == rules.Subject.post else None
        person_id = post.person_id if post is not None else (
            int(f.subject_ref) if f.subject == rules.Subject.person and f.subject_ref.isdigit() else None)
        rows.append(Finding(
            check_run=check, mine=mine, rule_id=f.rule_id, message=f.message, citation=str(f.citation)[:255],
            citation_note="\n".join(c.note for c in f.citations if c.note),
            consequence=str(f.consequence), severity=str(f.severity),
            severity_rank=rules.Severity(f.severity).rank, subject=str(f.subject),
            subject_ref=f.subject_ref[:32], post_kind=str(f.post_kind or ""), person_id=person_id,
            post=post,
        ))
    Finding.objects.bulk_create(rows)
    return check


def recheck_mine(*, actor: User, mine: Mine, request_id: str = "", today: dt.date | None = None) -> MineCheck:
    """Re-evaluate one mine on request (findings change with the date: certificates expire, drills fall due)."""
    require(actor, "people.recheck", mine)
    with transaction.atomic():
        check = recompute_mine(mine, today=today)
        audit.record(actor=actor, action="people.check.mine", obj=mine,
                     after={"findings": check.findings_count, "rule_version": check.rule_version},
                     request_id=request_id)
    return check


def recompute_all(*, today: dt.date | None = None, mines: Iterable[Mine] | None = None) -> dict[str, int]:
    """Re-evaluate every mine (``manage.py people_check``, daily); one audit entry for the run."""
    today = today or _today()
    checked = findings = halted = 0
    for mine in (mines if mines is not None else Mine.objects.order_by("pk").iterator()):
        with transaction.atomic():
            check = recompute_mine(mine, today=today)
        checked += 1
        findings += check.findings_count
        halted += bool(check.halt_count)
    with transaction.atomic():
        audit.record(actor=None, action="people.check.all", object_type="registry.mine",
                     after={"mines": checked, "findings": findings, "mines_to_halt": halted,
                            "rule_version": rules.RULE_VERSION, "as_of": today})
    return {"mines": checked, "findings": findings, "mines_to_halt": halted}


def get_visible(model: type[Model], actor: User, pk: Any) -> Any:
    """The object if the actor may see it, else NotFound (used by the import and the API)."""
    obj = model._default_manager.visible_to(actor).filter(pk=pk).first()  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound(f"{model._meta.label} {pk}")
    return obj
