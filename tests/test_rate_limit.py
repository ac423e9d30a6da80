"""S12, S37: log-in throttling keyed on the real client and the account, even with Redis down."""

import math
import re

import pytest
from redis import Redis

from tests.conftest import TEST_REDIS_URL, csrf_token

CLOSED_REDIS = "redis://127.0.0.1:1/0"


def try_logins(client, count: int, email=lambda i: f"guess{i}@example.com", **request_options):
    """Responses to ``count`` log-in POSTs (empty password: rejected without hashing)."""
    token = csrf_token(client.get("/login"))
    responses = []
    for i in range(count):
        options = {key: value(i) for key, value in request_options.items()}
        data = {"email": email(i), "password": "", "csrf_token": token}
        responses.append(client.post("/login", data=data, **options))
    return responses


def statuses(responses) -> list[int]:
    return [response.status_code for response in responses]


def test_eleventh_log_in_within_a_minute_gets_slow_down_page(client):
    *allowed, response = try_logins(client, 11)
    assert statuses(allowed) == [422] * 10
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 120
    minutes = re.search(r"Please try again in (\d+) minutes?\.", response.get_data(as_text=True))
    assert minutes and int(minutes.group(1)) == max(1, math.ceil(wait / 60))


def test_spoofed_forwarded_for_does_not_reset_the_count(client):
    codes = statuses(try_logins(client, 11, headers=lambda i: {"X-Forwarded-For": f"203.0.113.{i}"}))
    assert codes[-1] == 429


def test_one_account_is_limited_from_many_addresses(client):
    codes = statuses(try_logins(
        client, 11, email=lambda i: "victim@example.com",
        environ_base=lambda i: {"REMOTE_ADDR": f"198.51.100.{i}"},
    ))
    assert codes == [422] * 10 + [429]


def test_pages_answer_and_log_in_is_still_throttled_when_redis_is_down(make_app):
    client = make_app({"redis_url": CLOSED_REDIS}).test_client()
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 200
    assert try_logins(client, 11)[-1].status_code == 429


@pytest.mark.redis
def test_counts_in_redis_belong_to_one_site(make_app):
    """Two apps in one process (as in tests) keep separate counters in a shared Redis."""
    first = make_app({"redis_url": TEST_REDIS_URL}).test_client()
    assert try_logins(first, 11)[-1].status_code == 429
    second = make_app({"redis_url": TEST_REDIS_URL}).test_client()
    assert statuses(try_logins(second, 1)) == [422]


@pytest.mark.redis
def test_counts_go_to_redis_again_after_another_app_found_it_down(make_app):
    try_logins(make_app({"redis_url": CLOSED_REDIS}).test_client(), 1)
    app = make_app({"redis_url": TEST_REDIS_URL})
    try_logins(app.test_client(), 1)
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    assert list(Redis.from_url(TEST_REDIS_URL).scan_iter(match=f"*{prefix}*", count=1000))
