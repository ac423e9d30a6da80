"""`kpay plugins new`: from a clean folder outside the checkout, a new plugin installs, passes
its own tests, is enabled and migrated on a site, and its page renders there.

The plugin is installed into a folder of its own (``pip install --target``) that only this
test's commands put on ``PYTHONPATH``, so the other tests of the run never see it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpay.plugin_revisions import core_head
from kpay.scaffold import ScaffoldError, write_plugin
from kpay.testing import csrf_token
from kpay.testing.live import Client, serve

BIN = Path(sys.executable).parent


def run(*args, cwd: Path, env: dict) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(map(str, args))}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def outside(tmp_path):
    """A clean folder outside the checkout, and an environment whose Python also finds what is
    installed into ``site/`` there."""
    site_packages = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(site_packages), "KPAY_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("KPAY_PLUGINS_ENABLED", None)
    return tmp_path, site_packages, env


def test_a_new_plugin_passes_its_own_tests_migrates_and_its_page_renders_on_a_site(outside, worker_id):
    """The issue's "done when", plus `kpay db revision --plugin --autogenerate` for a changed model."""
    folder, site_packages, env = outside
    run(BIN / "kpay", "plugins", "new", "checkin", cwd=folder, env=env)
    plugin = folder / "checkin"
    run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", site_packages,
        plugin, cwd=folder, env=env)

    tests = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=plugin, env=env)
    assert " passed" in tests and "failed" not in tests and "error" not in tests

    assert "checkin enabled" in run(BIN / "kpay", "plugins", "enable", "checkin", cwd=folder, env=env)
    run(BIN / "kpay", "db", "upgrade", cwd=folder, env=env)

    installed = site_packages / "kpay_checkin"
    models = installed / "models.py"
    models.write_text(models.read_text() + "    pinned: Mapped[bool] = mapped_column(default=False)\n")
    run(BIN / "kpay", "db", "revision", "--plugin", "checkin", "-m", "pin notes", "--autogenerate", cwd=folder, env=env)
    second = (installed / "migrations/versions/checkin_0002_pin_notes.py").read_text()
    assert "down_revision = 'checkin_0001'" in second and "batch_op.add_column(sa.Column('pinned'" in second
    run(BIN / "kpay", "db", "upgrade", cwd=folder, env=env)
    run(BIN / "kpay", "db", "check", cwd=folder, env=env)  # the models and the migrated database agree
    with serve(folder / "instance", f"kpay_scaffold_{worker_id}", demo=False,
               environment={"PYTHONPATH": str(site_packages)}) as site:  # serve runs `kpay db upgrade`
        assert "kpay_demo_data" in site.kpay("plugins", "list")
        site.add_member("mei@example.com", "Mei")
        mei = Client(site.url)
        mei.log_in("mei@example.com")
        page = mei.get("/checkin/")
        assert page.status == 200 and "<h1>My notes</h1>" in page.text
        saved = mei.post("/checkin/", {"text": "Finish chapter one", "csrf_token": csrf_token(page)})
        assert saved.status == 302
        assert "Finish chapter one" in mei.get("/checkin/").text
        assert "Notes you wrote: 1" in mei.get("/").text


def test_the_new_plugins_first_revision_starts_its_branch_on_the_core_head(tmp_path):
    write_plugin("checkin", tmp_path / "checkin")
    revision = (tmp_path / "checkin/kpay_checkin/migrations/versions/checkin_0001_notes.py").read_text()
    assert 'branch_labels = ("checkin",)' in revision
    assert f'depends_on = "{core_head()}"' in revision
    files = {p.relative_to(tmp_path / "checkin").as_posix() for p in (tmp_path / "checkin").rglob("*") if p.is_file()}
    assert {"pyproject.toml", "babel.cfg", "README.md", ".github/workflows/ci.yml", ".gitignore",
            "kpay_checkin/translations/zh_Hans_CN/LC_MESSAGES/messages.mo",
            "kpay_checkin/translations/en/LC_MESSAGES/messages.po"} <= files


@pytest.mark.parametrize("name, message", [
    ("Check-in", "'Check-in': a plugin name is 2 to 31 lowercase letters"),
    ("1st", "'1st': a plugin name is"),
])
def test_a_bad_plugin_name_is_refused(tmp_path, name, message):
    with pytest.raises(ScaffoldError, match=message):
        write_plugin(name, tmp_path / "x")


def test_a_folder_that_is_not_empty_is_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="is not empty"):
        write_plugin("checkin", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
