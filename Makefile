# msl-book: `make book` builds dist/*.pdf and dist/*.epub; `make test` runs the checks.
# Both set up .venv first (Python >= 3.11, pinned versions from constraints.txt).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: book test lint bench lock clean setup

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/msl-book build . --edition screen --edition print

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

bench: $(STAMP)
	PIP_CONSTRAINT=$(CURDIR)/constraints.txt $(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/run.py --pages 300 --pages 1000 --repeat 3 --json dist/bench.json
	$(BIN)/python bench/edit.py --pages 300 --json dist/bench-edit-300.json
	$(BIN)/python bench/edit.py --pages 1000 --json dist/bench-edit-1000.json

lock:
	rm -rf /tmp/msl-book-lock && $(PYTHON) -m venv /tmp/msl-book-lock
	/tmp/msl-book-lock/bin/pip install --quiet '.[test]'
	{ head -2 constraints.txt; /tmp/msl-book-lock/bin/pip freeze --exclude msl-book | grep -v '^pip=='; } \
	  > constraints.new && mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) dist .pytest_cache .ruff_cache
