"""Form helpers shared by all apps."""

from __future__ import annotations

from django import forms

from minesafe.core.errors import FieldErrors


def apply_field_errors(form: forms.BaseForm, exc: FieldErrors, rename: dict[str, str] | None = None) -> None:
    """Attach a service's field errors to a form; unknown fields become non-field errors."""
    rename = rename or {}
    for field, messages in exc.errors.items():
        target = rename.get(field, field)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)
