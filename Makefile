# The two commands of the quick start: `make run` and `make test`.
# Each sets up what it needs: a virtual environment with the project's
# packages (the exact versions and hashes of requirements-test.lock),
# compiled translations and, for the tests, Debian packages.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CATALOGS := $(wildcard translations/*/LC_MESSAGES/*.po)
COMPILED := $(CATALOGS:.po=.mo)
# Debian packages the tests need: the browser tests drive Chromium;
# LibreOffice and poppler check that generated Word files open and paginate;
# npm (Debian's, unless Node.js brought its own) installs axe-core.
# Tesseract with its simplified/traditional Chinese and English models reads
# scanned attachments; the portal needs it at run time too (RUN_DEBS).
RUN_DEBS := tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra tesseract-ocr-eng
TEST_DEBS := chromium fonts-noto-cjk libreoffice-writer-nogui poppler-utils $(RUN_DEBS)
# axe-core (npm, pinned in tests/browser/axe/package-lock.json): the browser
# tests check WCAG 2 A and AA with it, loaded from this folder, never a CDN.
AXE := tests/browser/axe/node_modules/axe-core/axe.min.js

# `make run DEMO=0` starts without loading the demo organisation.
DEMO ?= 1

# Test processes: each pytest-xdist worker has its own embedded database.
# Twice as many as a 2-core machine has cores: many tests wait on portals and
# databases they start (measured: the whole suite in 241 s with 2, 212 s
# with 4, 223 s with 6). `make test WORKERS=0` runs in one process.
WORKERS ?= 4
LOCK_OPTIONS := --generate-hashes --universal --python-version 3.11 --quiet

.PHONY: run test test-fast lint typecheck setup lock system-deps axe messages clean

# Into an empty database (no users, no records) the demo organisation is
# loaded first; otherwise serve says it is not loaded. One process: the
# database boots once.
run: setup
	$(BIN)/portal serve $(if $(filter 0,$(DEMO)),,--demo-if-empty)

# Everything: lint, types, and the whole suite in parallel workers.
test: setup system-deps axe
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n $(WORKERS) --dist worksteal $(PYTEST_ARGS)

# The quick loop while working: no browser, LibreOffice, child portals, demo.
test-fast: setup
	$(BIN)/pytest -n $(WORKERS) --dist worksteal -m "not slow" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

setup: $(STAMP) $(COMPILED)

# Only hashed, pinned packages; the project itself without dependencies.
$(STAMP): requirements-test.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# A dependency added to pyproject.toml but not to the lock fails here.
	$(BIN)/python -m pip check
	touch $@

# After changing dependencies in pyproject.toml: pin them again (newest
# versions that fit), with every file's hash.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_OPTIONS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra test $(LOCK_OPTIONS) -o requirements-test.lock

translations/%.mo: translations/%.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

system-deps:
	@missing=""; \
	for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "The tests need these Debian packages; install them as root:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

axe: $(AXE)

$(AXE): tests/browser/axe/package-lock.json
	npm ci --prefix tests/browser/axe --no-audit --no-fund --silent
	touch $@

# Re-extract the message catalogs after changing user-facing strings.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k texts --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching

clean:
	rm -rf $(VENV) translations/*/LC_MESSAGES/*.mo
