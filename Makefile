# Amend: the commands a developer needs. `make demo` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

.PHONY: help install demo test test-fast lint format messages bench clean extension-test extension-screenshot

help:
	@echo "make demo     run the portal with demo data on http://127.0.0.1:8000"
	@echo "make test     run the test suite (starts a throwaway PostgreSQL unless DATABASE_URL is set)"
	@echo "make extension-test  the Shopify extensions: npm ci (once per lock file), type-check, build, vitest"
	@echo "make test-fast the suite without the worker and browser tests (marked worker, e2e)"
	@echo "make lint     ruff (check and format), mypy and the import-layer contract"
	@echo "make format   apply ruff's formatting and safe fixes"
	@echo "make messages refresh and compile the translations"
	@echo "make bench    webhook intake, the queue page, insights, bulk cancel and a 100,000-order import (minutes)"

# Install exactly the pinned versions: what production runs, then the development tools on top.
# Redone whenever a lock file changes.
$(STAMP): requirements.lock requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	@touch $(STAMP)

install: $(STAMP)

# The Shopify extensions (shopify/): exactly the versions in package-lock.json, from the npm registry,
# installed again whenever the lock file changes.
EXTENSION_STAMP := shopify/node_modules/.installed
$(EXTENSION_STAMP): shopify/package-lock.json
	cd shopify && npm ci --no-audit --no-fund
	@touch $(EXTENSION_STAMP)

extension-test: $(EXTENSION_STAMP)
	cd shopify && npm run typecheck && npm run build && npm test

# docs/screenshots/ from the extensions as their tests render them, in Debian's Chromium.
extension-screenshot: $(EXTENSION_STAMP)
	cd shopify && npx vitest run preview
	$(PY) scripts/extension_screenshot.py

demo: install
	$(PY) scripts/demo.py

test: install extension-test
	$(PY) scripts/with_db.py $(PY) -m pytest --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

# Everything but the tests that start a Celery worker or drive a browser; no coverage figure.
test-fast: install
	$(PY) scripts/with_db.py $(PY) -m pytest -m "not worker and not e2e" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Django matches an ignore pattern against every directory's name: 'node_modules/*' skips the npm
# packages (shopify/, tests/e2e/vitals/), where 'shopify/*' would also skip cancellations/platforms/shopify.
messages: install
	$(PY) scripts/with_db.py $(PY) manage.py makemessages --locale sv --no-obsolete --ignore '.venv/*' --ignore 'tests/*' --ignore 'staticfiles/*' --ignore '.data/*' --ignore 'node_modules/*'
	$(PY) manage.py compilemessages --locale sv --ignore '.venv/*'

bench: install
	$(PY) scripts/with_db.py $(PY) -m tests.bench.broker_drain $(BROKER_BENCH_ARGS)
	$(PY) scripts/with_db.py $(PY) -m tests.bench.click_to_effect $(CLICK_BENCH_ARGS)
	$(PY) scripts/with_db.py $(PY) -m tests.bench.portal_burst $(BURST_BENCH_ARGS)
	$(PY) scripts/with_db.py $(PY) -m tests.bench.webhook_throughput $(BENCH_ARGS)
	$(PY) scripts/with_db.py $(PY) -m tests.bench.queue_page $(QUEUE_BENCH_ARGS)
	$(PY) scripts/with_db.py $(PY) -m tests.bench.insights $(INSIGHTS_BENCH_ARGS)
	$(PY) scripts/with_db.py $(PY) -m tests.bench.bulk_cancel $(BULK_BENCH_ARGS)
	$(PY) scripts/with_db.py $(PY) -m tests.bench.shopify_backfill $(IMPORT_BENCH_ARGS)

clean:
	-$(PY) scripts/embedded_db.py stop
	rm -rf .data staticfiles .pytest_cache .ruff_cache .coverage
