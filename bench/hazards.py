"""Hazard-ledger performance on PostgreSQL: p50/p95 of the ledger list, the 动态清零 dashboard and
the escalation scan's candidate selection, each next to a plain ``SELECT count(*)`` of the hazard
table measured in the same run.

    make bench-hazards                                   # 10,000 mines, 1,000,000 hazards
    .venv/bin/python bench/hazards.py --mines 1000 --hazards 20000      # quick run
    .venv/bin/python bench/hazards.py --keep             # build once and keep the database, then
    .venv/bin/python bench/hazards.py --reuse            # measure again on it (migrations applied first)

The database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/minesafe_bench_hazards)
is dropped and created through an admin connection to the server's "postgres" database, migrated,
and filled: mines spread over Liaoning's counties (codes starting with 21), hazards found over the
last three years with a realistic close-out curve (most old hazards closed, recent ones open), some
overdue and some listed for supervision. It is dropped again at the end unless --keep is given;
--reuse skips the build when a kept database already holds the same sizes.

Target (issue): p95 of the ledger list page and of the dashboard under 150 ms. The script exits
non-zero when one is missed. Division dashboards read the open hazards from the ledger and
everything about closed-out hazards from the per-county monthly counters (``hazards.tally``), which
the build fills from the COPYed rows as the services would have.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/minesafe_bench_hazards"
TARGET_MS = 150.0
BASELINE_SQL = "SELECT count(*) FROM hazards_hazard"
HAZARD_COLUMNS = (
    "created_at", "updated_at", "mine_id", "source", "standard_code", "category_code", "category_family",
    "item_code", "description", "location", "found_on", "found_by", "production_stop", "status",
    "responsible_person", "measures", "funds_yuan", "contingency_plan", "original_deadline", "deadline",
    "closed_on", "verification_method", "listed", "penalty_code", "registered_by_id", "applied_on", "deadline_met",
)


def admin_url(url: str) -> tuple[str, str]:
    """(URL of the server's "postgres" database, name of the bench database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name == "postgres":
        raise SystemExit("BENCH_DATABASE_URL must name a throwaway database (not 'postgres')")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_exists(url: str) -> bool:
    import psycopg

    admin, name = admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def percentiles(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(p50, p95) wall time in seconds of ``fn`` over ``repeat`` runs, after one warm-up run."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    p95 = samples[min(len(samples) - 1, max(0, round(0.95 * len(samples)) - 1))]
    return statistics.median(samples), p95


def hazard_rows(n: int, mine_ids: list[int], actor_id: int, today: dt.date, seed: int = 7):
    """Yield ``n`` hazard rows as COPY text lines (tab-separated, \\N for NULL).

    found_on is uniform over three years, rows in finding order; the chance a hazard is still open falls with its age
    (70 % in its first month, 2 % after a year); open ones past their deadline are overdue and a
    fifth of those are listed for supervision.
    """
    rng = random.Random(seed)
    stamp = f"{today.isoformat()} 08:00:00+00"
    sources = ("self_check", "self_check", "self_check", "inspection", "inspection", "tip_off", "monitoring")
    categories = [f"metal-ug-2022.{i}" for i in range(1, 16)]
    open_statuses = ("registered", "rectifying", "rectifying", "awaiting_verification")
    null = "\\N"
    days = 3 * 365
    for i in range(n):  # in finding order, as a ledger fills up: the table's physical order follows found_on
        age = days - 1 - i * days // n
        found = today - dt.timedelta(days=age)
        p_open = 0.7 if age < 30 else 0.4 if age < 90 else 0.1 if age < 365 else 0.02
        status = rng.choice(open_statuses) if rng.random() < p_open else "closed"
        deadline = closed = None
        listed = False
        if status != "registered":
            deadline = found + dt.timedelta(days=rng.randrange(15, 120))
        if status == "closed":
            closed = min(today, found + dt.timedelta(days=rng.randrange(3, 150)))
        elif deadline is not None and deadline < today:
            listed = rng.random() < 0.2
        elif rng.random() < 0.02:
            listed = True
        category = rng.choice(categories)
        applied = None  # awaiting verification: applied some day since the finding (no draw: same data as before)
        if status == "awaiting_verification":
            applied = found + dt.timedelta(days=(i * 7919) % ((today - found).days + 1))
        met = applied is not None and deadline is not None and applied <= deadline
        yield "\t".join((
            stamp, stamp, str(rng.choice(mine_ids)), rng.choice(sources), "metal-ug-2022", category, category, "",
            "未按设计要求形成两个独立安全出口", "-120m 中段", found.isoformat(), "检查组", "none", status,
            "张三" if deadline else "", "整改措施" if deadline else "", null, "",
            deadline.isoformat() if deadline else null, deadline.isoformat() if deadline else null,
            closed.isoformat() if closed else null, "on_site" if closed else "", "t" if listed else "f", "",
            str(actor_id), applied.isoformat() if applied else null, "t" if met else "f",
        )) + "\n"


def build(args: argparse.Namespace, today: dt.date) -> float:
    """Fill the migrated database; returns the seconds the hazard COPY and ANALYZE took."""
    from django.db import connection

    from minesafe.accounts.models import Division
    from minesafe.hazards import tally
    from minesafe.registry.models import Enterprise, Mine
    from minesafe.testing.factories import build_world, uscc_for

    world = build_world()
    counties = list(Division.objects.filter(level="county", code__startswith="21").values_list("code", flat=True))
    ents = Enterprise.objects.bulk_create([
        Enterprise(name=f"企业{i}", uscc=uscc_for(counties[i % len(counties)]), division_id=counties[i % len(counties)])
        for i in range(max(1, args.mines // 5))
    ], batch_size=2000)
    rng = random.Random(3)
    Mine.objects.bulk_create(
        [Mine(name=f"矿{i:06d}", enterprise=ents[i % len(ents)], county_id=rng.choice(counties),
              sector="metal_underground", status="production", scale="small") for i in range(args.mines)],
        batch_size=2000,
    )
    mine_ids = list(Mine.objects.values_list("pk", flat=True))
    start = time.perf_counter()
    with connection.cursor() as cursor:
        copy_sql = f"COPY hazards_hazard ({', '.join(HAZARD_COLUMNS)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            buf = io.StringIO()
            for i, line in enumerate(hazard_rows(args.hazards, mine_ids, world.province_leader.pk, today), 1):
                buf.write(line)
                if i % 20000 == 0:
                    copy.write(buf.getvalue())
                    buf = io.StringIO()
            copy.write(buf.getvalue())
    # The per-county monthly counters the services keep with every write (hazards.tally), for the
    # rows COPY put in behind their back.
    tally.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mines", type=int, default=10_000)
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="leave the bench database in place")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database with the same sizes")
    parser.add_argument("--explain", action="store_true", help="print the plans of the measured queries")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    reuse = args.reuse and database_exists(url)
    if not reuse:
        recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minesafe.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started

    from minesafe.accounts.models import User
    from minesafe.core.querysets import code_prefix_q
    from minesafe.hazards import queries
    from minesafe.hazards.models import Hazard, RuleDecision
    from minesafe.registry.models import Mine
    from minesafe.rules import hazards as rules

    today = timezone.localdate()
    # build_world's own mines come on top of the generated ones
    if reuse and (Mine.objects.filter(name__startswith="矿").count() != args.mines
                  or Hazard.objects.count() != args.hazards):
        print("kept database holds other sizes; rebuilding")
        connection.close()
        recreate_database(url)
        call_command("migrate", verbosity=0)
        reuse = False
    build_s = 0.0
    if not reuse:
        started = time.perf_counter()
        copy_s = build(args, today)
        build_s = time.perf_counter() - started
        print(f"built {args.mines} mines and {args.hazards} hazards in {build_s:.1f} s "
              f"(hazard COPY + VACUUM ANALYZE {copy_s:.1f} s; migrate {migrate_s:.1f} s)")

    users = {u.username: u for u in User.objects.filter(username__in=[
        "province_leader", "city_inspector", "county_inspector"])}
    province, city, county = users["province_leader"], users["city_inspector"], users["county_inspector"]

    def ledger_page(user: User, division: str) -> tuple[int, list[Hazard]]:
        """The ledger list as the UI runs it: scoped, open, under a division, newest first, page 1 + count."""
        qs = (Hazard.objects.visible_to(user).exclude(status="closed")
              .filter(code_prefix_q("mine__county__code", division))
              .select_related("mine", "mine__enterprise", "mine__county").order_by("-found_on", "id"))
        return qs.count(), list(qs[:25])

    def dashboard_as_viewed(user: User, division: str | None = None) -> Callable[[], None]:
        def run() -> None:  # what views_dashboard.dashboard computes: the level, its roll-up and sum, the trend
            level = queries.dashboard_level(user, division)
            queries.sum_stats(queries.rollup_level(level, today))
            queries.level_trend(level, today)
        return run

    def escalation_candidates() -> tuple[int, list[int]]:
        version = rules.RULE_VERSIONS["escalation_suggestion"]
        already = RuleDecision.objects.filter(rule="escalation_suggestion", rule_version=version).values("hazard_id")
        qs = Hazard.objects.overdue(today).filter(listed=False).exclude(pk__in=already).order_by("id")
        return qs.count(), list(qs.values_list("id", flat=True))

    def baseline() -> None:
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL)
            cursor.fetchone()

    figures: list[tuple[str, Callable[[], object], float | None]] = [
        ("(a) ledger list, city regulator, open in its city", lambda: ledger_page(city, "2103"), TARGET_MS),
        ("(a) ledger list, county regulator, open in its county", lambda: ledger_page(county, "210323"), TARGET_MS),
        ("(a) ledger list, province regulator, open in one city", lambda: ledger_page(province, "2103"), TARGET_MS),
        ("(b) province dashboard page: rollup + sum + trend", dashboard_as_viewed(province), TARGET_MS),
        ("    province page drilled down to a city (2103)", dashboard_as_viewed(province, "2103"), TARGET_MS),
        ("    city dashboard page", dashboard_as_viewed(city), TARGET_MS),
        ("    county dashboard page", dashboard_as_viewed(county), TARGET_MS),
        ("(c) escalation scan candidates (count + ids)", escalation_candidates, None),
    ]
    if args.explain:
        explain(connection, province, city, today)
    base = percentiles(baseline, args.repeat)
    results = [(label, percentiles(fn, args.repeat), target) for label, fn, target in figures]

    n_open = Hazard.objects.exclude(status="closed").count()
    n_overdue, _ids = escalation_candidates()
    print(f"MineSafe hazard bench — PostgreSQL {connection.pg_version // 10000}, {args.mines} mines, "
          f"{args.hazards} hazards ({n_open} open, {n_overdue} overdue and unlisted), {args.repeat} runs, "
          f"today {today}")
    print(f"baseline {BASELINE_SQL}: p50 {base[0] * 1000:.1f} ms, p95 {base[1] * 1000:.1f} ms")
    print(f"{'figure':<56} {'p50':>9} {'p95':>9} {'p50/base':>9} {'p95/base':>9} {'target p95':>11}")
    failed = 0
    for label, (p50, p95), target in results:
        ok = target is None or p95 * 1000 <= target
        failed += not ok
        verdict = "—" if target is None else ("ok" if ok else "MISSED")
        print(f"{label:<56} {p50 * 1000:>7.1f}ms {p95 * 1000:>7.1f}ms {p50 / base[0]:>8.2f}x {p95 / base[1]:>8.2f}x "
              f"{'< ' + str(int(target)) + ' ms' if target else '':>11} {verdict}")
    connection.close()
    if not args.keep:
        recreate_database(url, drop_only=True)
    return 1 if failed else 0


def explain(connection, province, city, today: dt.date) -> None:
    """Print EXPLAIN ANALYZE of the main statements (for choosing indexes)."""
    from django.db.models.functions import Substr

    from minesafe.core.querysets import code_prefix_q
    from minesafe.hazards import queries
    from minesafe.hazards.models import Hazard

    statements = {
        "list page": Hazard.objects.visible_to(city).exclude(status="closed")
        .filter(code_prefix_q("mine__county__code", "2103")).order_by("-found_on", "id")[:25],
        "list count": Hazard.objects.visible_to(city).exclude(status="closed")
        .filter(code_prefix_q("mine__county__code", "2103")).order_by().values("pk"),
        "rollup": queries._statement(Hazard.objects.visible_to(province), today, ("child",),
                                     child=Substr("mine__county__code", 1, 4)),
        "escalation": Hazard.objects.overdue(today).filter(listed=False).order_by("id").values("id"),
    }
    for label, qs in statements.items():
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print(f"--- {label}\n" + "\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    sys.exit(main())
