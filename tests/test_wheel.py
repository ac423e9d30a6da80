"""A wheel built from the repository carries the compiled catalogs (.mo), so a site installed
with pip alone speaks Chinese; the Makefile is not needed for that."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from babel.support import Translations

ROOT = Path(__file__).resolve().parent.parent
LEFT_OUT = shutil.ignore_patterns(".git", ".venv*", "instance", "build", "dist", "*.egg-info", "__pycache__",
                                  ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules", "*.mo")


def test_wheel_built_from_the_repository_carries_compiled_catalogs(tmp_path):
    source = tmp_path / "kpay"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)  # a clean checkout: no .mo made by `make`
    assert not list(source.rglob("*.mo"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, timeout=600,
    )
    [wheel] = (tmp_path / "dist").glob("kpay-*.whl")
    with zipfile.ZipFile(wheel) as built:
        catalogs = {Path(name).parts[2]: built.read(name) for name in built.namelist() if name.endswith("messages.mo")}
    languages = {po.parts[-3] for po in ROOT.glob("kpay/translations/*/LC_MESSAGES/messages.po")}
    assert set(catalogs) == languages and "zh_Hans_CN" in languages
    chinese = Translations(io.BytesIO(catalogs["zh_Hans_CN"]))
    assert chinese.gettext("Log in") == "登录"
