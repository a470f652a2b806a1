# aiida-enatom: the two commands of the README are `make quickstart` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := quantum-espresso quantum-espresso-data postgresql rabbitmq-server slurmctld slurmd slurm-client munge

.PHONY: system venv quickstart test lint bench clean docs

# Debian packages the project needs (Quantum ESPRESSO 6.7 and its reference data).
system:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[tests]'
	touch $@

venv: $(BIN)/.installed

# Install everything and run the main job on the embedded default.
quickstart: system venv
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/aiida-enatom quickstart

# Install what the tests need and run the whole suite (lint included).
test: system venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -ra --durations=25

# Build the HTML documentation into docs/_build/html, every Sphinx warning an error (as tests/test_docs_build.py).
docs: venv
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

bench: venv
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
