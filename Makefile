# MineSafe — `make run` serves the demo platform, `make test` runs the whole suite.
# Needs only Python >= 3.11 (python3 on PATH, or PYTHON=/path/to/python3.x).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
DEV_ENV := DEBUG=true DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3

.PHONY: run test test-sqlite test-postgres lint browser messages demo worker clean bench

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "MineSafe needs Python >= 3.11; set PYTHON=...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

messages: $(STAMP)
	@$(BIN)/python -m minesafe.compile_messages

run: $(STAMP) messages
	@$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	@$(DEV_ENV) $(BIN)/python manage.py demo --if-empty
	@$(DEV_ENV) $(BIN)/python manage.py demo_hazards --if-empty
	@$(DEV_ENV) $(BIN)/python manage.py demo_people --if-empty
	@$(DEV_ENV) $(BIN)/python manage.py demo_tipoffs --if-empty
	@$(DEV_ENV) $(BIN)/python manage.py demo_monitoring --if-empty
	@$(DEV_ENV) $(BIN)/python manage.py demo_logins
	@echo "Serving MineSafe at http://$(HOST):$(PORT)/ (with a live simulated monitoring feed and the alarm engine)"
	@$(DEV_ENV) $(BIN)/python manage.py simulate --live --via direct --rate 200 & feed=$$!; \
	$(DEV_ENV) $(BIN)/python manage.py monitoring_engine & engine=$$!; \
	trap 'kill $$feed $$engine 2>/dev/null; wait $$feed $$engine 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

demo: $(STAMP) messages
	@$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	@$(DEV_ENV) $(BIN)/python manage.py demo
	@$(DEV_ENV) $(BIN)/python manage.py demo_hazards --if-empty
	@$(DEV_ENV) $(BIN)/python manage.py demo_people --if-empty
	@$(DEV_ENV) $(BIN)/python manage.py demo_tipoffs --if-empty
	@$(DEV_ENV) $(BIN)/python manage.py demo_monitoring --if-empty

# Debian's chromium for the browser smoke test (Playwright drives it; no browser download).
browser:
	@bash scripts/ensure-chromium.sh

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) messages browser lint
	@$(MAKE) --no-print-directory test-sqlite
	@bash scripts/pg-or-skip.sh "$(PG_URL)" && $(MAKE) --no-print-directory test-postgres || test $$? -eq 3

test-sqlite: $(STAMP)
	@echo "== test suite on SQLite"
	$(BIN)/python -m pytest -p no:cacheprovider

test-postgres: $(STAMP)
	@echo "== test suite on PostgreSQL ($(PG_URL))"
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Hazard ledger on PostgreSQL (BENCH_DATABASE_URL; 10,000 mines, 1,000,000 hazards by default).
# BENCH_HAZARDS_ARGS="--mines 1000 --hazards 20000" for a quick run, "--proposed-indexes" to compare.
.PHONY: bench-hazards
bench-hazards: $(STAMP)
	$(BIN)/python bench/hazards.py $(BENCH_HAZARDS_ARGS)

# Monitoring (issue 6): engine vs naive throughput, then MQTT publish → alarm stored latency on PostgreSQL
# (BENCH_DATABASE_URL) with the broker at 127.0.0.1:1883. BENCH_MONITORING_ARGS="--quick" for a short run.
.PHONY: bench-monitoring
bench-monitoring: $(STAMP)
	$(BIN)/python bench/monitoring.py $(BENCH_MONITORING_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3* staticfiles .pytest_cache
