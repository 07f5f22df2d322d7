# The two commands of the README: `make run` (dashboard on data/) and `make test` (the whole suite).
# Both set up everything they need on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup compiler

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

# A C compiler and Python's headers for the compiled-parser test (tests/test_compiled_parser.py builds the
# wheel PM_ANALYTICS_COMPILE=1 gives): Debian's gcc, and python3-dev when the Python is Debian's own.
compiler: setup
	command -v cc >/dev/null || { $(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc; }
	$(BIN)/python -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
		|| { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-dev; }

test: setup /usr/bin/chromium compiler
	$(BIN)/python -m pytest
