"""Rate-limit keys for ``limiter.limit(..., key_func=...)``: whom a limit counts, beyond an IP."""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_login import current_user

from kpay.accounts import normalize_email


def keyed_by_form_email(scope: str) -> Callable[[], str]:
    """A rate-limit key: the address typed in the form, so one account is limited from any IP."""
    return lambda: f"{scope}:{normalize_email(request.form.get('email', ''))}"


def keyed_by_member(scope: str) -> Callable[[], str]:
    """A rate-limit key: the logged-in member (the address for a visitor)."""
    return lambda: f"{scope}:{current_user.id if current_user.is_authenticated else request.remote_addr}"
