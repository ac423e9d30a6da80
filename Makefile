# Two commands do all the set-up: `make run` and `make test`. Python 3.11+ is all they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CATALOGS := $(wildcard kpay/translations/*/LC_MESSAGES/messages.po)

.PHONY: install install-dev translations run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml examples/kpay-hello/pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]' -e examples/kpay-hello
	touch $@

install: $(VENV)/.installed translations

install-dev: $(VENV)/.installed-dev translations

# Compiled catalogs (.mo) are build output, made from the .po files in git.
translations: $(CATALOGS:.po=.mo)

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

run: install
	$(BIN)/kpay db upgrade
	$(BIN)/kpay demo
	$(BIN)/kpay run

test: install-dev
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
