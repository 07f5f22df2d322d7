# The two commands of the README: `make run` (dashboard on data/) and `make test` (the whole suite).
# Both set up everything they need on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.installed

# The same command an installed wheel gives: PM_ANALYTICS_DATA and the other settings apply (pm-analytics dashboard --help).
run: setup
	$(BIN)/pm-analytics dashboard

# Debian's Chromium for the real-browser test (never `playwright install`: it downloads a browser).
/usr/bin/chromium:
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

test: setup /usr/bin/chromium
	$(BIN)/python -m pytest
