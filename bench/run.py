"""Registry and audit performance, as ratios against baselines measured in the same run.

    make bench            # or: .venv/bin/python bench/run.py [--mines 20000]

Builds a throwaway SQLite database (or uses DATABASE_URL when BENCH_DATABASE_URL is set), fills
it with N mines spread over Liaoning's counties, then prints for each figure the measured time,
the baseline time and their ratio. Targets are stated next to each figure; the script exits
non-zero when a ratio misses its target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], object], repeat: int = 15) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs (after one warm-up)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mines", type=int, default=20000)
    parser.add_argument("--audit", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=500, help="xlsx import rows")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp.name}/bench.sqlite3")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minesafe.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)

    from minesafe.accounts.models import Division
    from minesafe.core import audit
    from minesafe.core.models import AuditEntry
    from minesafe.registry import io as registry_io
    from minesafe.registry.models import Enterprise, Mine, MineStatusChange
    from minesafe.testing.factories import build_world, uscc_for

    world = build_world()
    counties = list(Division.objects.filter(level="county", code__startswith="21").values_list("code", flat=True))
    ents = Enterprise.objects.bulk_create([
        Enterprise(name=f"企业{i}", uscc=uscc_for(county), division_id=county)
        for i in range(max(1, args.mines // 5))
        for county in [counties[i % len(counties)]]
    ])
    # Sectors whose attributes are all optional, so every generated row passes the rules on import.
    sectors = ["metal_open_pit", "metal_underground"] * 2
    Mine.objects.bulk_create(
        [Mine(name=f"矿{i:06d}", enterprise=ents[i % len(ents)], county_id=counties[i % len(counties)],
              sector=sectors[i % 4], status="production", scale="small") for i in range(args.mines)],
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    results: list[tuple[str, float, float, float]] = []

    def compare(label: str, measured: Callable[[], object], baseline: Callable[[], object], target: float) -> None:
        m, b = timed(measured), timed(baseline)
        results.append((label, m, b, target))

    county_user = world.county_inspector
    page = lambda qs: list(qs.select_related("enterprise", "county").order_by("name", "pk")[:25])  # noqa: E731
    compare("mine list page, county scope vs unscoped", lambda: page(Mine.objects.visible_to(county_user)),
            lambda: page(Mine.objects.all()), 3.0)
    # Baseline: the same county's mines by an exact, indexed equality — the best a scope can do.
    compare("mine count, county scope vs county_id equality", lambda: Mine.objects.visible_to(county_user).count(),
            lambda: Mine.objects.filter(county_id="210323").count(), 2.0)
    city_user = world.city_inspector
    city_codes = list(Division.objects.filter(parent_id="2103").values_list("code", flat=True))
    compare("mine count, city scope vs county_id IN (its counties)", lambda: Mine.objects.visible_to(city_user).count(),
            lambda: Mine.objects.filter(county_id__in=city_codes).count(), 2.0)
    compare("enterprise list page, county scope vs registered-county equality",
            lambda: list(Enterprise.objects.visible_to(county_user).order_by("name", "pk")[:25]),
            lambda: list(Enterprise.objects.filter(division_id="210323").order_by("name", "pk")[:25]), 3.0)

    mine = Mine.objects.first()

    def audited_writes() -> None:
        with transaction.atomic():
            for _ in range(200):
                audit.record(actor=world.province_leader, action="bench", obj=mine, after={"x": 1})

    def plain_writes() -> None:
        with transaction.atomic():
            for _ in range(200):
                MineStatusChange.objects.create(mine=mine, to_status="production", effective_date="2026-01-01",
                                                reason="bench")

    # An audited write is three statements (lock the chain head, insert, move the head) plus JSON and
    # SHA-256, against one statement for the baseline: by design about 3-6x; 8x would mean a regression.
    compare("200 audit.record() vs 200 plain inserts", audited_writes, plain_writes, 8.0)
    while AuditEntry.objects.count() < args.audit:
        audited_writes()
    n_entries = AuditEntry.objects.count()
    compare(f"verify_chain over {n_entries} entries vs reading them", audit.verify_chain,
            lambda: list(AuditEntry.objects.order_by("id")), 4.0)

    # xlsx import: the baseline is the same rows written by calling the service directly, so the
    # ratio is what the spreadsheet path (parsing, lookups, per-row savepoints) adds on top.
    rows_qs = Mine.objects.filter(county_id="210323").select_related("enterprise", "county").order_by("pk")
    sample = list(rows_qs[: args.rows])
    data = registry_io.export_mines(Mine.objects.filter(pk__in=[m.pk for m in sample]))
    from minesafe.registry import services as registry_services

    def import_rows() -> None:
        sid = transaction.savepoint()
        result = registry_io.import_mines(actor=world.county_leader, data=data)
        assert result.updated == len(sample) and not result.errors, result.errors[:3]
        transaction.savepoint_rollback(sid)

    def service_rows() -> None:
        sid = transaction.savepoint()
        for m in sample:
            registry_services.update_mine(actor=world.county_leader, mine=m, data={"headcount_cap": None})
        transaction.savepoint_rollback(sid)

    with transaction.atomic():
        compare(f"xlsx import of {len(sample)} rows vs {len(sample)} direct service calls", import_rows,
                service_rows, 3.0)

    print(f"MineSafe bench — {connection.vendor}, {args.mines} mines, {n_entries} audit entries")
    print(f"{'figure':<58} {'measured':>10} {'baseline':>10} {'ratio':>7} {'target':>7}")
    failed = 0
    for label, m, b, target in results:
        ratio = m / b if b else float("inf")
        ok = ratio <= target
        failed += not ok
        print(f"{label:<58} {m * 1000:>8.1f}ms {b * 1000:>8.1f}ms {ratio:>6.2f}x {'≤' + str(target):>7} "
              f"{'ok' if ok else 'MISSED'}")
    tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
