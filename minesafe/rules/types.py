"""Value types shared by every rule module: citations, reasons and verdicts.

A rule never raises for "the user got it wrong"; it returns a :class:`Verdict`
whose :class:`Reason` items carry a stable machine code, a Chinese message for
the user, the form/API field it belongs to and the regulatory source it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ALL_FIELDS", "Citation", "Reason", "Verdict"]

# Key used by field_errors() for reasons that belong to the whole object,
# matching Django's NON_FIELD_ERRORS without importing Django.
ALL_FIELDS = "__all__"


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from.

    Build instances with :func:`minesafe.rules.sources.cite`, never directly, so
    that the source and section are checked against :data:`SOURCES`.
    """

    source: str  # "seed-002" or an official document id like "GB 32100-2015"
    section: str  # "二", "三(二)", "Art. 36", "§5.5" ...
    note: str = ""

    def __str__(self) -> str:
        return f"{self.source} §{self.section}"


@dataclass(frozen=True)
class Reason:
    """One reason why a rule refused something."""

    code: str  # stable machine code, e.g. "uscc.check_char"
    message: str  # Chinese, shown to users
    field: str | None = None  # form/API field the reason belongs to; None = whole object
    citation: Citation | None = None


@dataclass(frozen=True)
class Verdict:
    """Outcome of one or more rules: allowed when it carries no reasons."""

    reasons: tuple[Reason, ...] = ()

    def __post_init__(self) -> None:
        # Accept any iterable (e.g. a list) but store a tuple so the verdict stays hashable.
        if not isinstance(self.reasons, tuple):
            object.__setattr__(self, "reasons", tuple(self.reasons))

    def __bool__(self) -> bool:
        # A dataclass instance is always truthy, so `if verdict:` would silently
        # mean "always". Force callers to say what they mean.
        raise TypeError("Verdict has no truth value; use verdict.ok")

    @property
    def ok(self) -> bool:
        """True when no rule objected."""
        return not self.reasons

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes, in order (handy in tests and logs)."""
        return tuple(r.code for r in self.reasons)

    @classmethod
    def allow(cls) -> Verdict:
        """A verdict with no objections."""
        return cls()

    @classmethod
    def deny(cls, *reasons: Reason) -> Verdict:
        """A verdict refusing for the given reasons (at least one)."""
        if not reasons:
            raise ValueError("Verdict.deny() needs at least one Reason")
        return cls(reasons)

    def __and__(self, other: Verdict) -> Verdict:
        """Combine two verdicts: the result is ok only when both are."""
        if not isinstance(other, Verdict):
            return NotImplemented
        return Verdict.merge(self, other)

    @staticmethod
    def merge(*verdicts: Verdict) -> Verdict:
        """Combine any number of verdicts, keeping reason order and dropping exact duplicates."""
        seen: set[Reason] = set()
        merged: list[Reason] = []
        for verdict in verdicts:
            for reason in verdict.reasons:
                if reason not in seen:
                    seen.add(reason)
                    merged.append(reason)
        return Verdict(tuple(merged))

    def field_errors(self) -> dict[str, list[str]]:
        """Messages grouped by field, ``"__all__"`` for whole-object reasons (Django's convention)."""
        errors: dict[str, list[str]] = {}
        for reason in self.reasons:
            errors.setdefault(reason.field or ALL_FIELDS, []).append(reason.message)
        return errors
