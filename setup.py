"""Build step: compile the translation catalogs, so a site installed with pip alone (a wheel, or
``pip install .``) speaks its languages. Everything else about the package is in pyproject.toml."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

CATALOGS = "kpay/translations/*/LC_MESSAGES/messages.po"


class BuildWithCatalogs(build_py):
    """``build_py`` that first writes each ``messages.mo`` beside its ``.po`` (fuzzy entries
    left out, as ``pybabel compile`` does), so package data carries them."""

    def run(self) -> None:
        for po in sorted(Path(__file__).resolve().parent.glob(CATALOGS)):
            with po.open("rb") as source:
                catalog = read_po(source)
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalog)
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
