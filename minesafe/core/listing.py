"""Search, filter, sort and paginate a queryset from GET parameters (shared by list pages and exports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest

__all__ = ["Listing", "apply_listing"]

PER_PAGE_CHOICES = (25, 50, 100)


@dataclass
class Listing:
    """Result of :func:`apply_listing`, handed to templates."""

    queryset: QuerySet
    page: Page | None
    q: str
    sort: str
    filters: dict[str, str]
    per_page: int
    sortable: tuple[str, ...] = field(default_factory=tuple)

    def querystring(self, **overrides: Any) -> str:
        """The current parameters with some replaced, URL-encoded (for sort links and pagers)."""
        from django.http import QueryDict

        params = QueryDict(mutable=True)
        base: dict[str, Any] = {"q": self.q, "sort": self.sort, "per_page": self.per_page, **self.filters}
        base.update(overrides)
        for key, value in base.items():
            if value not in ("", None):
                params[key] = str(value)
        return params.urlencode()


def apply_listing(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    search_fields: tuple[str, ...] = (),
    filter_fields: dict[str, str] | None = None,
    sort_fields: dict[str, str] | None = None,
    default_sort: str = "",
    paginate: bool = True,
    int_params: frozenset[str] = frozenset(),
) -> Listing:
    """Apply ``?q=`` search, whitelisted ``?<filter>=`` filters, ``?sort=[-]key`` and ``?page=``.

    Only whitelisted parameters touch the query, so a crafted URL cannot filter or sort on fields
    the page does not offer. Unknown sort keys fall back to the default. A parameter in
    ``int_params`` that is not a plausible id matches nothing (instead of a database error).
    """
    filter_fields = filter_fields or {}
    sort_fields = sort_fields or {}
    q = request.GET.get("q", "").strip()[:100]
    if q and search_fields:
        cond = Q()
        for f in search_fields:
            cond |= Q(**{f"{f}__icontains": q})
        queryset = queryset.filter(cond)
    active: dict[str, str] = {}
    for param, lookup in filter_fields.items():
        value = request.GET.get(param, "").strip()[:64]
        if value:
            active[param] = value
            if param in int_params and not (value.isdigit() and len(value) <= 18):
                queryset = queryset.none()
            else:
                queryset = queryset.filter(**{lookup: value})
    sort = request.GET.get("sort", default_sort)
    key = sort.lstrip("-")
    if key not in sort_fields:
        sort, key = default_sort, default_sort.lstrip("-")
    if key in sort_fields:
        prefix = "-" if sort.startswith("-") else ""
        queryset = queryset.order_by(f"{prefix}{sort_fields[key]}", "pk")
    try:
        per_page = int(request.GET.get("per_page", PER_PAGE_CHOICES[0]))
    except ValueError:
        per_page = PER_PAGE_CHOICES[0]
    if per_page not in PER_PAGE_CHOICES:
        per_page = PER_PAGE_CHOICES[0]
    page = Paginator(queryset, per_page).get_page(request.GET.get("page")) if paginate else None
    return Listing(queryset=queryset, page=page, q=q, sort=sort, filters=active, per_page=per_page,
                   sortable=tuple(sort_fields))
