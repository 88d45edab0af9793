"""Template tags for list pages: query strings for pagers and sortable column headers."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from minesafe.core.listing import Listing

register = template.Library()


@register.simple_tag
def qs(listing: Listing, **overrides: Any) -> str:
    """``?{% qs listing page=3 %}`` — current parameters with overrides."""
    return listing.querystring(**overrides)


@register.simple_tag
def sort_th(listing: Listing, key: str, label: str) -> str:
    """A header cell that toggles ``?sort=key`` / ``-key`` and shows the current direction."""
    if key not in listing.sortable:
        return format_html("<th>{}</th>", label)
    current = listing.sort
    arrow = ""
    new = key
    if current == key:
        arrow, new = " ▲", f"-{key}"
    elif current == f"-{key}":
        arrow = " ▼"
    return format_html('<th><a href="?{}">{}{}</a></th>', listing.querystring(sort=new, page=1), label, arrow)
