# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck bench check clean prerequisites

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## PostgreSQL, wal2json and node: installed where this machine allows (Debian, root), else named.
prerequisites:
	@bash scripts/prerequisites.sh

## Local development PostgreSQL with the Supabase layer and its API (PostgREST), migrated to head, demo data loaded.
demo: prerequisites $(STAMP)
	$(BIN)/zora-db dev up

## The whole suite, against throwaway PostgreSQL.
test: prerequisites $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check zora_db tests benchmarks alembic
	$(BIN)/ruff format --check zora_db tests benchmarks alembic

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

## Benchmarks; each script prints its figures as JSON.
bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
