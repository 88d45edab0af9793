"""Verdict / Reason / Citation behaviour (minesafe.rules.types)."""

from __future__ import annotations

import pytest

from minesafe.rules import Reason, Verdict, cite

R1 = Reason("a.one", "第一", "name")
R2 = Reason("a.two", "第二", None)
R3 = Reason("a.three", "第三", "name")


def test_allow_is_ok_and_empty() -> None:
    verdict = Verdict.allow()
    assert verdict.ok
    assert verdict.reasons == ()
    assert verdict.field_errors() == {}


def test_deny_is_not_ok() -> None:
    verdict = Verdict.deny(R1, R2)
    assert not verdict.ok
    assert verdict.codes == ("a.one", "a.two")


def test_deny_without_reasons_is_an_error() -> None:
    with pytest.raises(ValueError):
        Verdict.deny()


def test_and_merges_in_order_without_duplicates() -> None:
    merged = Verdict.deny(R1) & Verdict.allow() & Verdict.deny(R2, R1)
    assert merged.reasons == (R1, R2)
    assert (Verdict.allow() & Verdict.allow()).ok


def test_merge_many() -> None:
    assert Verdict.merge().ok
    assert Verdict.merge(Verdict.deny(R3), Verdict.deny(R1), Verdict.allow()).reasons == (R3, R1)


def test_field_errors_groups_by_field_and_all() -> None:
    assert Verdict.deny(R1, R2, R3).field_errors() == {"name": ["第一", "第三"], "__all__": ["第二"]}


def test_reasons_list_is_stored_as_tuple_and_verdict_is_hashable() -> None:
    verdict = Verdict([R1])  # type: ignore[arg-type]
    assert verdict.reasons == (R1,)
    assert hash(verdict) == hash(Verdict((R1,)))


def test_truthiness_is_refused() -> None:
    with pytest.raises(TypeError):
        bool(Verdict.allow())


def test_citation_str() -> None:
    assert str(cite("seed-002", "二")) == "seed-002 §二"
    assert str(cite("GB 32100-2015", "4", "note is not shown")) == "GB 32100-2015 §4"
