# Two commands for a newcomer:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test venv servers bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench,rocksdb]'
	touch $(STAMP)

venv: $(STAMP)

## Set everything up and run the demo (embedded broker, worker, launch-day scenario).
demo: $(STAMP)
	$(BIN)/mailflow demo

## Set everything up (virtualenv, Prometheus and Alertmanager servers) and run the whole test suite.
test: $(STAMP) servers
	$(BIN)/python -m pytest

## Install the real Prometheus and Alertmanager servers (Debian packages) used by the end-to-end tests.
servers:
	bash scripts/install-servers.sh

bench: $(STAMP)
	$(BIN)/python bench/replay_throughput.py
	$(BIN)/python bench/memory.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
