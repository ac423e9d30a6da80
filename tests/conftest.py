"""The core's tests use kpay.testing's fixtures (loaded through kpay's ``pytest11`` entry point),
plus the S3-compatible storage fixtures below.

Set ``KPAY_TEST_DATABASE_URL`` (e.g. ``postgresql://postgres@127.0.0.1/test``) to run on
PostgreSQL and ``KPAY_TEST_REDIS_URL`` for the Redis paths. The names imported below are kept
for the tests that import them from here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import time_machine

from kpay.testing import PASSWORD, TEST_DATABASE_URL, TEST_REDIS_URL, Auth, csrf_token, fresh_postgres_database

__all__ = ["PASSWORD", "TEST_DATABASE_URL", "TEST_REDIS_URL", "Auth", "csrf_token", "fresh_postgres_database"]

NOON = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # a Wednesday after the tests' fixed dates


@pytest.fixture
def at_noon():
    """Start the test at noon on 10 March 2027 (the same date from UTC-11 to UTC+11), its
    clock ticking: a test that writes today's rows and then reads today's or this month's
    figures cannot straddle a real midnight or month end."""
    with time_machine.travel(NOON, tick=True):
        yield


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3-compatible server (moto's) on loopback for this test process; its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_endpoint):
    """``[storage]`` settings of the s3 backend on a fresh bucket of the loopback server."""
    import boto3

    bucket = f"kpay-{uuid.uuid4().hex[:12]}"
    settings = {"backend": "s3", "s3_bucket": bucket, "s3_endpoint_url": s3_endpoint, "s3_region": "us-east-1",
                "s3_access_key_id": "test", "s3_secret_access_key": "test"}
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=bucket)
    return settings


@pytest.fixture(params=["local", "s3"])
def storage_settings(request):
    """``[storage]`` settings of each backend in turn: the local folder, then S3."""
    return {"backend": "local"} if request.param == "local" else request.getfixturevalue("s3_storage")
