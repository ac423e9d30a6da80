"""The ``kpay`` command: configuration errors, plugins list/enable/disable, users."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from kpay.cli import cli
from kpay.extensions import db
from kpay.models import User

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """An instance folder the ``kpay`` command uses (``KPAY_INSTANCE_PATH``)."""
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("KPAY_INSTANCE_PATH", str(folder))
    monkeypatch.delenv("KPAY_PLUGINS_ENABLED", raising=False)
    return folder


def kpay(*args: str) -> subprocess.CompletedProcess:
    """Run ``python -m kpay ARGS`` as an operator would, in the current environment."""
    return subprocess.run(
        [sys.executable, "-m", "kpay", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


def test_bad_config_stops_a_command_with_one_line_and_exit_2(instance):
    (instance / "kpay.toml").write_text("[mail]\nport = 'abc'\n")
    result = kpay("routes")
    assert result.returncode == 2
    assert result.stderr == "kpay: configuration error: mail.port: expected an integer, got 'abc'\n"
    assert result.stdout == ""


def test_unknown_plugin_stops_a_command_naming_it(instance):
    (instance / "kpay.toml").write_text("[plugins]\nenabled = ['nosuch']\n")
    result = kpay("routes")
    assert result.returncode == 2
    assert result.stderr.startswith("kpay: configuration error: plugins.enabled: plugin 'nosuch' not found")


def test_plugins_list_shows_version_source_state_and_hooks(instance):
    (instance / "kpay.toml").write_text("[plugins]\nenabled = ['hello']\n")
    result = CliRunner().invoke(cli, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    line, hooks = result.output.split("hello", 1)[1].splitlines()[:2]
    assert line.split() == ["0.1.0", "enabled", "entry", "point", "(kpay-hello)"]
    assert "kpay_blueprints" in hooks and "kpay_nav_items" in hooks


def test_plugins_enable_and_disable_keep_the_files_comments(instance):
    (instance / "kpay.toml").write_text(
        '# Our community\nsite_name = "Tea"  # keep it short\n\n[plugins]\n# what runs\nenabled = []\n'
    )
    enabled = CliRunner().invoke(cli, ["plugins", "enable", "hello"])
    assert enabled.exit_code == 0, enabled.output
    assert "Restart KPay (and its workers) to apply the change." in enabled.output
    assert (instance / "kpay.toml").read_text() == (
        '# Our community\nsite_name = "Tea"  # keep it short\n\n[plugins]\n# what runs\nenabled = ["hello"]\n'
    )
    assert "already enabled" in CliRunner().invoke(cli, ["plugins", "enable", "hello"]).output
    disabled = CliRunner().invoke(cli, ["plugins", "disable", "hello"])
    assert disabled.exit_code == 0, disabled.output
    assert "enabled = []" in (instance / "kpay.toml").read_text()
    assert "# keep it short" in (instance / "kpay.toml").read_text()


def test_enabling_an_unknown_plugin_is_refused(instance):
    result = CliRunner().invoke(cli, ["plugins", "enable", "nosuch"])
    assert result.exit_code == 1
    assert "plugin 'nosuch' not found" in result.output
    assert not (instance / "kpay.toml").exists()


def test_plugins_enable_sends_gunicorn_hup(instance, tmp_path):
    received = tmp_path / "hup"
    child = subprocess.Popen([sys.executable, "-c", (
        "import signal, sys, time\n"
        f"signal.signal(signal.SIGHUP, lambda *a: (open({str(received)!r}, 'w').write('HUP'), sys.exit(0)))\n"
        "print('ready', flush=True)\n"
        "time.sleep(300)\n"
    )], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        pid_file = tmp_path / "gunicorn.pid"
        pid_file.write_text(f"{child.pid}\n")
        (instance / "kpay.toml").write_text(f"gunicorn_pid_file = {str(pid_file)!r}\n")
        result = CliRunner().invoke(cli, ["plugins", "enable", "hello"])
        assert result.exit_code == 0, result.output
        assert f"Sent HUP to gunicorn (pid {child.pid})" in result.output
        assert child.wait(timeout=60) == 0
        assert received.read_text() == "HUP"
    finally:
        child.kill()
        child.wait()


def test_plugins_enable_with_a_stale_pid_file_asks_for_a_restart(instance, tmp_path):
    pid_file = tmp_path / "gunicorn.pid"
    pid_file.write_text("not a pid\n")
    (instance / "kpay.toml").write_text(f"gunicorn_pid_file = {str(pid_file)!r}\n")
    result = CliRunner().invoke(cli, ["plugins", "enable", "hello"])
    assert result.exit_code == 0, result.output
    assert "Could not signal gunicorn" in result.output
    assert "Restart KPay" in result.output


def test_users_create_adds_an_owner_with_a_confirmed_address(app):
    result = app.test_cli_runner().invoke(cli, [
        "users", "create", "--email", "olivia@example.com", "--name", "Olivia",
        "--role", "owner", "--password", "a long passphrase here",
    ])
    assert result.exit_code == 0, result.output
    assert "Created owner olivia@example.com" in result.output
    with app.app_context():
        olivia = db.session.scalar(sa.select(User).filter_by(email="olivia@example.com"))
        assert olivia.role == "owner"
        assert olivia.email_confirmed_at is not None, "the operator vouches for the address"


def test_plugin_commands_appear_in_help_only_when_enabled(make_app):
    with_hello = make_app({"plugins": {"enabled": ["hello"]}}).test_cli_runner().invoke(cli, ["--help"])
    without = make_app().test_cli_runner().invoke(cli, ["--help"])
    assert "hello" in with_hello.output.split("Commands:")[1]
    assert "hello" not in without.output.split("Commands:")[1]


def test_a_plugin_that_stops_start_up_can_still_be_disabled(instance):
    (instance / "kpay.toml").write_text("[plugins]\nenabled = ['hello', 'gone']\n")
    result = CliRunner().invoke(cli, ["plugins", "disable", "gone"])
    assert result.exit_code == 0, result.output
    assert 'enabled = ["hello"]' in (instance / "kpay.toml").read_text()


def test_kpay_run_serves_the_site(instance):
    """What `make run` ends with: the development server answers on the given port."""
    import urllib.request

    from tests.live import free_port, wait_until_up

    assert kpay("db", "upgrade").returncode == 0
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kpay", "run", "--port", str(port)], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/shop/", timeout=60) as page:
            assert page.status == 200 and "Shop" in page.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=30)
