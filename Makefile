# Two commands do all the set-up: `make run` and `make test`. Python 3.11+ is all they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CATALOGS := $(wildcard kpay/translations/*/LC_MESSAGES/messages.po examples/kpay-hello/kpay_hello/translations/*/LC_MESSAGES/messages.po)

.PHONY: install install-dev translations messages run lint test test-min bench clean

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

# Re-extract every marked string (babel.cfg says where) into messages.pot and merge it into each
# catalog; then translate the new and changed ("fuzzy") entries. tests/test_i18n.py reads
# BABEL_KEYWORDS from here and fails on any string left untranslated. See docs/translating.md.
BABEL_KEYWORDS := _l lazy_gettext lazy_ngettext:1,2
messages: | $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg $(addprefix -k ,$(BABEL_KEYWORDS)) --add-comments=TRANSLATORS: \
		--project=KPay --copyright-holder="KPay contributors" --no-wrap -o kpay/translations/messages.pot .
	$(BIN)/pybabel update -i kpay/translations/messages.pot -d kpay/translations --no-wrap --ignore-obsolete

run: install
	$(BIN)/kpay db upgrade
	$(BIN)/kpay demo
	$(BIN)/kpay run

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install-dev
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# The lowest versions pyproject.toml allows (requirements/minimum.txt), in a venv of their own,
# on the parts that lean on the libraries most: models and migrations, commerce, sign-in,
# jobs, translations, images, markdown, plugins and the Stripe client.
VENV_MIN := .venv-min
MIN_TESTS := tests/test_commerce.py tests/test_migrations.py tests/test_auth.py tests/test_jobs.py \
	tests/test_i18n.py tests/test_avatar.py tests/test_markdown.py tests/test_plugins.py tests/test_api.py \
	plugins/pay_stripe
test-min:
	$(PYTHON) -m venv $(VENV_MIN)
	$(VENV_MIN)/bin/pip install -q -c requirements/minimum.txt -e '.[dev]' -e examples/kpay-hello
	$(VENV_MIN)/bin/pybabel compile -d kpay/translations
	$(VENV_MIN)/bin/python -m pytest -n 2 -m "not e2e" -p no:cacheprovider $(MIN_TESTS) $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(VENV_MIN) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
