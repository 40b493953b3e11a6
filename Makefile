# The project's commands. `make help` lists them; `make run` and `make test` are all a newcomer needs.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) app/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test lint format migrate seed clean loadtest bench-scale backup restore restore-drill

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (e.g. apt-get install python3.11 python3.11-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,stack,loadtest]"
	@touch $@

install: $(VENV)/.installed ## create .venv and install the dependencies

migrate: install ## apply database migrations
	$(MANAGE) migrate --noinput

seed: migrate ## create the demo account and sample tweets (idempotent)
	$(MANAGE) seed_demo --tweets 30

run: seed ## serve the app on its embedded default (SQLite) at http://127.0.0.1:8000
	@echo "Serving http://$(HOST):$(PORT)/  (Ctrl-C stops; log in as 'demo' with the password printed above on first run)"
	$(MANAGE) runserver $(HOST):$(PORT)

lint: install ## ruff lint and format check, and no missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

format: install ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint ## every test: lint, unit and Django tests on real PostgreSQL and Redis
	$(PY) -m pytest

URL ?=
USERS ?= 20
DURATION ?= 30s
loadtest: install ## Locust load test, summary printed (URL=base URL, default the native stack; USERS=20 DURATION=30s)
	$(PY) -m loadtest.run $(if $(URL),--url $(URL)) --users $(USERS) --duration $(DURATION)

bench-scale: install ## scaling benchmark of the native stack, 1-4 replicas; report in docs/benchmarks/
	$(PY) -m loadtest.bench_scale

backup: install ## back up the native stack's database and media into var/stack/backups (BACKUP_DIR, BACKUP_KEEP)
	$(PY) -m stack manage backup

BACKUP ?=
restore: install ## restore BACKUP=var/stack/backups/tweetstack-... into the stack's database (FORCE=1 replaces data)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/stack/backups/tweetstack-<time> [FORCE=1]"; exit 2; }
	$(PY) -m stack manage restore $(BACKUP) $(if $(FORCE),--force)

restore-drill: install ## restore the newest backup into a scratch database and check it
	$(PY) -m stack manage restore_drill

clean: ## remove the virtualenv and the embedded database and uploads
	rm -rf $(VENV) var *.egg-info

# The native stack's targets (stack, stack-status, stack-logs, stack-down, stack-clean).
-include stack/stack.mk
# Containers, Compose and Terraform (up, down, prod-up, ...).
-include deploy.mk
