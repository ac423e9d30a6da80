"""The core's tests use kpay.testing's fixtures (loaded through kpay's ``pytest11`` entry point).

Set ``KPAY_TEST_DATABASE_URL`` (e.g. ``postgresql://postgres@127.0.0.1/test``) to run on
PostgreSQL and ``KPAY_TEST_REDIS_URL`` for the Redis paths. The names below are kept for the
tests that import them from here.
"""

from kpay.testing import PASSWORD, TEST_DATABASE_URL, TEST_REDIS_URL, Auth, csrf_token, fresh_postgres_database

__all__ = ["PASSWORD", "TEST_DATABASE_URL", "TEST_REDIS_URL", "Auth", "csrf_token", "fresh_postgres_database"]
