# The two commands that matter: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE ?= data/sample

.PHONY: demo test install lint sqlfluff bench clean

$(BIN)/shopetl: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/shopetl

## make demo: install, start the embedded PostgreSQL, migrate, load the sample delivery, serve the API
demo: install
	$(BIN)/shopetl db start
	$(BIN)/shopetl migrate
	$(BIN)/shopetl load $(SAMPLE)
	$(BIN)/shopetl serve

## make test: install and run the whole test suite (lint included) against real PostgreSQL
test: lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/sqlfluff lint sql
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/run.py --scale 1.0

clean:
	-$(BIN)/shopetl db stop
	rm -rf .shopetl
