"""Test helpers for KPay and its plugins, installed with kpay.

The fixtures (``app``, ``client``, ``auth``, ``member``, ``runner``, ``make_app``, ``make_user``,
the live site and the browser) come from ``kpay.testing.fixtures``, which pytest loads by
itself through kpay's ``pytest11`` entry point. This module holds what tests import:

- ``PASSWORD``: the password of every member ``make_user`` and ``member`` create;
- ``csrf_token(response)``: the CSRF token a page carries;
- ``Auth(client)``: logs a test client in and out through the real forms;
- ``assert_outsiders_see_nothing(...)``: every route of a blueprint, asked by a visitor and
  by a member without access, never shows a canary string (see ``kpay.testing.outsiders``);
- ``assert_migrations_match_models(plugin)``: an empty database upgraded through the real
  migrations matches the plugin's models (see ``kpay.testing.migrations``).

See docs/plugins.md, "Testing".
"""

from __future__ import annotations

from kpay.testing.client import PASSWORD, Auth, csrf_token
from kpay.testing.databases import TEST_DATABASE_URL, TEST_REDIS_URL, fresh_postgres_database
from kpay.testing.migrations import assert_migrations_match_models
from kpay.testing.outsiders import assert_outsiders_see_nothing

__all__ = [
    "PASSWORD", "TEST_DATABASE_URL", "TEST_REDIS_URL", "Auth", "assert_migrations_match_models",
    "assert_outsiders_see_nothing", "csrf_token", "fresh_postgres_database",
]
