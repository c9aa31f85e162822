# Dolmetscherpool – the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000

.PHONY: install translations extract-messages migrate run test test-postgres lint complexity format clean bench load

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Dolmetscherpool needs Python 3.11 or newer." if sys.version_info < (3, 11) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Compiled catalogues (.mo) are build output, made from the .po files in the repository.
translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d pool/translations -f --statistics 2>&1 | tail -n 1

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o pool/translations/messages.pot .
	$(BIN)/pybabel update -i pool/translations/messages.pot -d pool/translations --no-fuzzy-matching --ignore-obsolete

migrate: translations
	$(BIN)/flask --app pool db upgrade

run: migrate
	@$(BIN)/flask --app pool seed-demo
	@echo "Dolmetscherpool läuft auf http://127.0.0.1:$(PORT) – beenden mit Strg+C."
	@trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	SCHEDULER_TICK_SECONDS=5 $(BIN)/flask --app pool scheduler & scheduler=$$!; \
	$(BIN)/flask --app pool run --host 127.0.0.1 --port $(PORT)

test: translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: translations
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} $(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmarks (not part of `make test` or CI): they seed their data sets on PostgreSQL once and
# print one line `RATIO <name> <value>` per measure. BENCH_DATABASE_URL names the server.
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
bench: translations
	$(BIN)/python benchmarks/matching.py --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python benchmarks/scheduler.py
	$(BIN)/python benchmarks/pages.py --database-url $(BENCH_DATABASE_URL)

# The load test (not part of `make test` or CI): 50 users of every role for 60 s with locust
# against gunicorn on a copy of the page benchmark's database; fails on any failed request.
# LOAD_ARGS, e.g. "--users 20 --seconds 30".
load: translations
	test -x $(BIN)/locust || $(BIN)/python -m pip install --quiet 'locust>=2.40,<3'
	$(BIN)/python benchmarks/load.py --database-url $(BENCH_DATABASE_URL) $(LOAD_ARGS)

# Types: mypy reads its files and level from pyproject.toml ([tool.mypy]).
lint: $(STAMP) complexity
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# No function above cyclomatic complexity 20 (radon's grade D starts at 21), and no dead code
# (vulture at 60 %, configured in pyproject.toml; vulture_whitelist.py names what it cannot see).
# Left out for now: pool/api/mediators.py, whose hand-written field checks (_profile_values, 21)
# give way to the typed schemas; empty this once they have.
COMPLEXITY_EXCLUDE ?=
complexity: $(STAMP)
	@found="$$($(BIN)/radon cc --min D --show-complexity --exclude '$(COMPLEXITY_EXCLUDE)' pool)"; \
	if [ -n "$$found" ]; then \
		echo "Cyclomatic complexity above 20 – split these functions:"; echo "$$found"; exit 1; \
	fi
	$(BIN)/vulture

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance/*.sqlite3* pool/translations/*/LC_MESSAGES/*.mo .pytest_cache
