"""S12 policy: failed log-ins slow down the (account, address) pair, then the account for new
places only; the owner still gets in from a browser or an address they logged in from."""

from __future__ import annotations

from tests.conftest import PASSWORD, csrf_token


def log_in(client, email: str, password: str, address: str) -> int:
    token = csrf_token(client.get("/login", environ_base={"REMOTE_ADDR": address}))
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                         environ_base={"REMOTE_ADDR": address})
    if answer.status_code == 302:
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/", environ_base={"REMOTE_ADDR": address}))},
                    environ_base={"REMOTE_ADDR": address})
    return answer.status_code


def test_failures_from_one_address_slow_down_that_pair_only(app, make_user):
    ada, bo = make_user(email="ada@example.com"), make_user(email="bo@example.com")
    guesser = app.test_client()
    assert [log_in(guesser, ada.email, "wrong password", "203.0.113.1") for _ in range(6)] == [422] * 5 + [429]
    assert log_in(guesser, bo.email, "wrong password", "203.0.113.1") == 422
    assert log_in(app.test_client(), ada.email, PASSWORD, "198.51.100.7") == 302


def test_the_owner_gets_in_from_a_known_browser_or_address_while_others_are_slowed(app, make_user):
    ada = make_user(email="ada@example.com")
    owners_laptop = app.test_client()
    assert log_in(owners_laptop, ada.email, PASSWORD, "192.0.2.10") == 302

    guesses = [log_in(app.test_client(), ada.email, "wrong password", f"203.0.113.{n}") for n in range(11)]
    assert guesses == [422] * 10 + [429]

    assert log_in(owners_laptop, ada.email, PASSWORD, "192.0.2.99") == 302, "a known browser, anywhere"
    assert log_in(app.test_client(), ada.email, PASSWORD, "192.0.2.10") == 302, "a known address, any browser"
    assert log_in(app.test_client(), ada.email, PASSWORD, "198.51.100.5") == 429, "a new browser at a new address waits"
