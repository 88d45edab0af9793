"""View decorators: login plus role permission, and domain errors turned into HTTP answers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from minesafe.accounts.permissions import has_perm
from minesafe.core.errors import NotFound, PermissionDenied

View = Callable[..., HttpResponse]


def requires(perm: str) -> Callable[[View], View]:
    """Anonymous → login page; signed in without ``perm`` → 403; service NotFound → 404."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_perm(request.user, perm):
                raise DjangoPermissionDenied(perm)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(str(exc)) from exc
            except NotFound as exc:
                raise Http404(str(exc)) from exc

        return wrapped

    return decorator
