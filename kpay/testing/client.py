"""Driving a test client as a member would: the test password, CSRF tokens, logging in."""

from __future__ import annotations

import re

PASSWORD = "correct horse battery"


def csrf_token(response) -> str:
    """The CSRF token a page carries (its meta tag or a form field)."""
    text = response.get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', text) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', text
    )
    assert match, "page has no CSRF token"
    return match.group(1)


class Auth:
    """Log a test client in and out through the real forms: ``auth.login(email, password=PASSWORD)``."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, remember: bool = False, next: str = ""):
        token = csrf_token(self.client.get("/login"))
        data = {"email": email, "password": password, "csrf_token": token, "next": next}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        token = csrf_token(self.client.get("/"))
        return self.client.post("/logout", data={"csrf_token": token})
