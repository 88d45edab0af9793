"""Related records: links a higher app contributes to a lower app's page without being imported by it.

The dependency rule lets ``tipoffs`` import ``hazards`` but not the reverse, yet the hazard page
should show the tip-off that led to a hazard. The higher app registers a provider for the lower
app's model once, from its ``AppConfig.ready()``::

    links.register("hazards.hazard", tipoff_links)   # tipoff_links(user, hazard) -> list[Link]

and the lower app's view renders ``links_for(request.user, hazard)``. A provider must scope itself:
it returns only links to records the user may open (``visible_to(user)``), and nothing for records
it has no relation to. Providers run in registration order; their links are concatenated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

__all__ = ["Link", "Provider", "links_for", "register", "unregister"]


@dataclass(frozen=True)
class Link:
    """One related record: the text of the link, its URL and an optional short note (status, date …)."""

    label: str
    url: str
    note: str = ""


Provider = Callable[[Any, models.Model], list[Link]]

_providers: dict[str, list[Provider]] = {}


def _label(model_label: str) -> str:
    app, sep, model = model_label.partition(".")
    if not (app and sep and model) or "." in model:
        raise ValueError(f"model label must look like 'app_label.model_name', got {model_label!r}")
    return model_label.lower()


def register(model_label: str, provider: Provider) -> None:
    """Add ``provider(user, obj) -> list[Link]`` for objects of ``model_label`` ("hazards.hazard").

    Registering the same provider twice for a label has no further effect (``ready()`` may run twice).
    """
    providers = _providers.setdefault(_label(model_label), [])
    if provider not in providers:
        providers.append(provider)


def unregister(model_label: str, provider: Provider) -> None:
    """Remove a provider added with :func:`register` (tests); unknown providers are ignored."""
    providers = _providers.get(_label(model_label), [])
    if provider in providers:
        providers.remove(provider)


def links_for(user: Any, obj: models.Model) -> list[Link]:
    """Every registered provider's links for ``obj``, as ``user`` may see them (providers scope themselves)."""
    links: list[Link] = []
    for provider in list(_providers.get(obj._meta.label_lower, ())):
        links.extend(provider(user, obj))
    return links
