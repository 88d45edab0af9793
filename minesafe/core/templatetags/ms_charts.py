"""``{% boundary_svg mine.boundary %}`` — the mining-area polygon drawn to scale."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from minesafe.core.charts import polygon_points

register = template.Library()


@register.simple_tag
def boundary_svg(points: Any, width: int = 200, height: int = 140) -> str:
    drawn = polygon_points(points or [], width=width, height=height)
    if not drawn:
        return ""
    return format_html(
        '<svg class="boundary" viewBox="0 0 {} {}" width="{}" height="{}" role="img">'
        '<polygon points="{}"/></svg>', width, height, width, height, drawn,
    )
