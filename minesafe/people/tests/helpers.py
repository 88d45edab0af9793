"""Test helpers: valid ID numbers and ready-made roster entries."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from minesafe.accounts.models import User
from minesafe.people import services
from minesafe.people.models import Person, Post
from minesafe.registry.models import Mine
from minesafe.rules.people import id_check_char

_seq = itertools.count(100)


def make_id(birth: str = "19800101", area: str = "210323", seq: int | None = None) -> str:
    """A valid 18-character ID number (GB 11643 check character), unique per call unless ``seq`` is given."""
    body = f"{area}{birth}{(next(_seq) if seq is None else seq) % 1000:03d}"
    return body + id_check_char(body)


def person(actor: User, *, name: str = "张三", id_number: str | None = None, **extra: Any) -> Person:
    data = {"name": name, "id_number": make_id() if id_number is None else id_number, "education": "bachelor",
            "major": "采矿工程", "core_discipline": True, "years_experience": 12, "employment_type": "regular", **extra}
    return services.create_person(actor=actor, data=data)


def post(actor: User, who: Person, mine: Mine, kind: str = "worker", **extra: Any) -> Post:
    data = {"kind": kind, "underground": True, "start_date": dt.date(2020, 1, 1), **extra}
    return services.add_post(actor=actor, person=who, mine=mine, data=data)
