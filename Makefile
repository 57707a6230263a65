# Two commands for a newcomer:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Debian stable's own interpreter: the suite runs on it too (same input, same alerts)
SYSTEM_PYTHON ?= /usr/bin/python3
SYS_VENV      ?= .venv-system

.PHONY: demo test test-system-python venv servers bench clean

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
test: $(STAMP) servers kafka
	$(BIN)/python -m pytest
	$(MAKE) test-system-python

## The whole suite again on the operating system's python3 (skipped where there is none).
test-system-python: $(SYS_VENV)/.installed servers kafka
	@if [ -x $(SYS_VENV)/bin/python ]; then $(SYS_VENV)/bin/python -m pytest -p no:cacheprovider; fi

$(SYS_VENV)/.installed: pyproject.toml
	bash scripts/system-python-venv.sh $(SYSTEM_PYTHON) $(SYS_VENV)

## Install the real Prometheus and Alertmanager servers (Debian packages) used by the end-to-end tests.
servers:
	bash scripts/install-servers.sh

## Install the real Apache Kafka broker (KRaft, jars from Maven Central into .kafka/lib) used by tests/kafka.
.PHONY: kafka
kafka:
	bash scripts/install-kafka.sh

bench: $(STAMP)
	$(BIN)/python bench/replay_throughput.py
	$(BIN)/python bench/memory.py

clean:
	rm -rf $(VENV) $(SYS_VENV) .pytest_cache .hypothesis
