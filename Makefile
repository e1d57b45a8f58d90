# Two commands: `make demo` and `make test`. Each sets up .venv/ itself on first use.
# `make server` / `make stop`: a persistent Prefect server (UI on http://127.0.0.1:4200), the
# `ttcs` work pool, a worker and the deployments of prefect.yaml; stop ends exactly those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench bench-nightly server stop clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ttcs cần Python 3.11 trở lên (đang có " + sys.version.split()[0] + ")")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ttcs demo

test: $(STAMP)
	$(BIN)/python -m pytest --durations=10  # prints the slowest 10: keep the suite fast

# TTCS_HOME: where the worker runs the flows (this folder: flows/, config/).
server: $(STAMP)
	TTCS_HOME=$${TTCS_HOME:-$(CURDIR)} $(BIN)/ttcs server start

stop: $(STAMP)
	$(BIN)/ttcs server stop

# Benchmarks print figures; they are not part of `make test`.
bench: $(STAMP)
	$(BIN)/python -m bench.sheets

bench-nightly: $(STAMP)
	$(BIN)/python -m bench.nightly_country

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) demo .pytest_cache .ruff_cache .hypothesis
