"""Template helpers: ``{% if user|can:"registry.edit" %}``."""

from __future__ import annotations

from typing import Any

from django import template

from minesafe.accounts.permissions import has_perm

register = template.Library()


@register.filter
def can(user: Any, perm: str) -> bool:
    return has_perm(user, perm)
