# Bizweek. `make run` serves the demo event; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-sqlite test-postgres lint format bench clean messages

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

messages: install
	$(BIN)/bizweek compilemessages_po

run: install messages
	$(BIN)/bizweek migrate --noinput
	$(BIN)/bizweek demo --if-empty
	BIZWEEK_SITE_URL=$${BIZWEEK_SITE_URL:-http://$(HOST):$(PORT)} $(BIN)/bizweek serve --host $(HOST) --port $(PORT)

# The suite runs on SQLite, then again on PostgreSQL when TEST_POSTGRES_URL is set (.ci/run sets it).
test: install messages
	$(BIN)/python -m pytest
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== again on PostgreSQL"; \
		DATABASE_URL="$$TEST_POSTGRES_URL" $(BIN)/python -m pytest; \
	else echo "TEST_POSTGRES_URL not set: skipped the PostgreSQL pass (.ci/run sets it)"; fi

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/bandit -q -c pyproject.toml -r src
	$(BIN)/python tools/audit.py

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# The benchmarks (the other bench/*.py files are their shared modules).
BENCHMARKS = bench/hall.py bench/recommend.py bench/search.py bench/schedule.py bench/dashboard.py bench/figures_writers.py bench/chat_fanout.py bench/live_latency.py bench/meeting_join.py

# bench/hall.py drives its concurrent phases with wrk (Debian package `wrk`); without it, it falls
# back to a Python load generator that competes with the server for the same cores.
bench: install messages
	@command -v wrk >/dev/null || { echo "== apt-get install wrk"; \
		(apt-get install -y -qq wrk || sudo apt-get install -y -qq wrk) >/dev/null 2>&1 || \
		echo "wrk could not be installed: bench/hall.py uses its Python load generator"; }
	@bash .ci/postgres || echo "PostgreSQL could not be started here (root and Debian needed): bench/figures_writers.py says how"
	@for script in $(BENCHMARKS); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var build *.egg-info
