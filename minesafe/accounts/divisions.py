"""Load the national province → city → county table shipped in ``data/cn-admin-divisions``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data" / "cn-admin-divisions"
NATIONAL = ("CN", "全国")


def read_rows(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """Rows ready for the Division model, parents before children."""

    def read(name: str) -> list[dict[str, str]]:
        with open(data_dir / name, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    provinces = {r["code"]: r["name"] for r in read("provinces.csv")}
    cities = {r["code"]: (r["name"], r["provinceCode"]) for r in read("cities.csv")}
    rows: list[dict[str, Any]] = [
        {"code": NATIONAL[0], "name": NATIONAL[1], "level": "national", "parent_id": None, "full_name": NATIONAL[1]}
    ]
    for code, name in provinces.items():
        rows.append({"code": code, "name": name, "level": "province", "parent_id": "CN", "full_name": name})
    for code, (name, prov) in cities.items():
        full = f"{provinces[prov]} {name}"
        rows.append({"code": code, "name": name, "level": "city", "parent_id": prov, "full_name": full})
    for r in read("areas.csv"):
        city_name, prov = cities[r["cityCode"]]
        full = f"{provinces[prov]} {city_name} {r['name']}"
        rows.append({"code": r["code"], "name": r["name"], "level": "county", "parent_id": r["cityCode"],
                     "full_name": full})
    return rows


def load_divisions(division_model: Any, data_dir: Path = DATA_DIR) -> int:
    """Insert missing divisions (idempotent); returns how many were created."""
    existing = set(division_model.objects.values_list("code", flat=True))
    new = [division_model(**row) for row in read_rows(data_dir) if row["code"] not in existing]
    division_model.objects.bulk_create(new, batch_size=500)
    return len(new)
