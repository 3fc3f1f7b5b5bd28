# Duster: `make run` serves the archive, `make test` runs the whole suite.
# Both bootstrap .venv with the pinned dependencies first.

PYTHON ?= $(shell command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
THREADS ?= 1
ACCESS_LOG ?= 0
export DJANGO_SETTINGS_MODULE := duster.settings

.PHONY: run test lint format bench bench-load bench-community bench-downloads bench-efiction migrations-check deploy-check clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Duster needs Python 3.12 or newer" if sys.version_info < (3, 12) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.installed-dev: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $(VENV)/.installed-base $@

# granian serves; bin/serve says how (WORKERS, THREADS, ACCESS_LOG).
run: $(VENV)/.installed-base
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py check
	@echo "Duster is at http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/python -m duster.lib.supervise --name "task worker" -- \
		$(BIN)/python manage.py task_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) THREADS=$(THREADS) ACCESS_LOG=$(ACCESS_LOG) bin/serve

test: $(VENV)/.installed-dev
	bin/install-test-tools
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy duster

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: $(VENV)/.installed-dev
	$(BIN)/python manage.py makemigrations --check --dry-run

deploy-check: $(VENV)/.installed-base
	DEBUG=0 HTTPS=1 SECRET_KEY=check-only-$$(date +%s)-not-a-real-secret-key-0123456789abcdef \
		EMAIL_URL=smtp://localhost:25 ALLOWED_HOSTS=archive.example \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/pages.py $(BENCH_ARGS)

# wrk against `make run`'s server on a generated archive (bench/README.md).
bench-load: $(VENV)/.installed-dev
	$(BIN)/python -m bench.load $(LOAD_ARGS)
bench-community: $(VENV)/.installed-dev
	$(BIN)/python -m bench.community $(COMMUNITY_ARGS)
bench-downloads: $(VENV)/.installed-dev
	$(BIN)/python -m bench.downloads $(DOWNLOADS_ARGS)
# import_efiction on a generated eFiction archive of 10,000 stories (bench/README.md).
bench-efiction: $(VENV)/.installed-dev
	$(BIN)/python -m bench.efiction_import $(EFICTION_ARGS)

clean:
	rm -rf $(VENV) var
