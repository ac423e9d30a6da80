"""A real KPay served by gunicorn on 127.0.0.1, for browser tests and concurrency tests.

``serve()`` makes an instance folder's site on a fresh database (SQLite, or PostgreSQL when
``KPAY_TEST_DATABASE_URL`` is set), applies the migrations and serves it in embedded mode
(jobs run in the web process; e-mails land in ``instance/outbox/``). ``Client`` is a small
cookie-keeping HTTP client for driving it from many threads at once.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kpay.testing.client import csrf_token
from kpay.testing.databases import TEST_DATABASE_URL, fresh_postgres_database

BIN = Path(sys.executable).parent
DEMO_PASSWORD = "kpay-demo-2026"


@dataclass
class Site:
    """The running site: its address, instance folder and environment (for ``kpay`` commands)."""

    url: str
    instance: Path
    env: dict

    def kpay(self, *args: str) -> str:
        """Run a ``kpay`` command against this site; its output."""
        done = subprocess.run(
            [str(BIN / "kpay"), *args], env=self.env, cwd=self.instance, capture_output=True, text=True, check=True
        )
        return done.stdout

    def add_member(self, email: str, name: str, password: str = DEMO_PASSWORD, role: str = "member") -> None:
        """A confirmed member made with ``kpay users create``."""
        self.kpay("users", "create", "--email", email, "--name", name, "--role", role, "--password", password)

    def emails(self) -> list[email.message.EmailMessage]:
        """Every e-mail sent so far, oldest first."""
        folder = self.instance / "outbox"
        files = sorted(folder.glob("*.eml")) if folder.exists() else []
        return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]

    def wait_for_email(self, to: str, subject_part: str, timeout: float = 30.0) -> email.message.EmailMessage:
        """The newest e-mail to ``to`` whose subject contains ``subject_part``, waiting for the job
        (it runs after the response, in the server's process: slow on a busy machine)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.emails() if m["To"] == to and subject_part in m["Subject"]]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                sent = [(m["To"], m["Subject"]) for m in self.emails()]
                raise AssertionError(f"no e-mail to {to} about {subject_part!r}; sent: {sent}")
            time.sleep(0.1)


def link_in(message: email.message.EmailMessage, path_part: str) -> str:
    """The first link in the e-mail's text whose address contains ``path_part``."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://\S*" + re.escape(path_part) + r"\S*", text)
    assert match, f"no link with {path_part!r} in:\n{text}"
    return match.group(0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the site stopped at start-up with code {process.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url + "/healthz", timeout=5):  # a first answer is slow under load
                return
        time.sleep(0.2)
    raise RuntimeError(f"the site did not answer at {url} within {timeout} s")


@contextlib.contextmanager
def _database(folder: Path, name: str):
    if TEST_DATABASE_URL:
        with fresh_postgres_database(name) as url:
            yield url
    else:
        yield f"sqlite:///{folder / 'kpay.db'}"


@contextlib.contextmanager
def serve(instance: Path, name: str, demo: bool = True, workers: int = 1, environment: dict | None = None,
          start_timeout: float = 120.0, **settings: str):
    """Serve a new site from ``instance`` on a free port; yield its ``Site``.

    ``settings`` become ``KPAY_<NAME>`` variables (``plugins_enabled="hello"``); ``environment``
    adds other variables (``PYTHONPATH``). One worker by default: the in-memory rate limits
    then count every request, as on a one-process site. gunicorn writes its pid to
    ``instance/gunicorn.pid``; with ``gunicorn_pid_file`` set to it, the admin's changes
    reload the workers. ``start_timeout``: seconds the workers may take to answer (several
    workers on a busy machine need more).
    """
    with _database(instance, name) as database_url:
        port = free_port()
        env = {
            **os.environ,
            **(environment or {}),
            "KPAY_INSTANCE_PATH": str(instance),
            "KPAY_DATABASE_URL": database_url,
            "KPAY_REDIS_URL": "",
            "KPAY_SITE_URL": f"http://127.0.0.1:{port}",
            **{f"KPAY_{key.upper()}": value for key, value in settings.items()},
        }
        site = Site(f"http://127.0.0.1:{port}", instance, env)
        site.kpay("db", "upgrade")
        if demo:
            site.kpay("demo")
        log = open(instance / "gunicorn.log", "wb")  # noqa: SIM115 (open while the server runs)
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", "8",
             "--bind", f"127.0.0.1:{port}", "--pid", str(instance / "gunicorn.pid"), "kpay.app:create_app()"],
            cwd=instance, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(site.url, server, start_timeout)
            yield site
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)  # gunicorn's graceful timeout; slower on a busy machine
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int
    headers: dict
    text: str

    def get_data(self, as_text: bool = True) -> str:  # what csrf_token reads
        return self.text


class Client:
    """One visitor of a live site: keeps its cookies, follows no redirects. ``forwarded_for``
    is sent as X-Forwarded-For (the site must trust one proxy) so visitors have their own IPs."""

    def __init__(self, base_url: str, forwarded_for: str | None = None):
        self.base_url = base_url
        self.headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )

    def request(self, method: str, path: str, data: dict | None = None) -> Response:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, method=method, headers=self.headers)
        try:
            with self.opener.open(request, timeout=60) as answer:
                return Response(answer.status, dict(answer.headers), answer.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read().decode())

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> Response:
        return self.request("POST", path, data)

    def log_in(self, email_address: str, password: str = DEMO_PASSWORD) -> None:
        page = self.get("/login")
        answer = self.post("/login", {"email": email_address, "password": password, "csrf_token": csrf_token(page)})
        assert answer.status == 302, f"log-in of {email_address} answered {answer.status}"
