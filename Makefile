# The project's verbs. Each works from a fresh clone with only Python 3.11 installed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
PYTEST_ARGS ?=

.PHONY: run test lint bench fault-run install install-dev migrate demo clean check-security scale-test browser-deps pgbouncer-deps bench-deps check-deploy messages

# Two stamps: `make run` installs what running needs (requirements.txt); the verbs that test, lint or
# measure add the tooling (requirements-dev.txt). Each is reinstalled when its requirements file
# changes, and the tooling also when the runtime pins change.
$(VENV)/.installed-run: requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed-run

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py load_demo

# Web server, Celery worker and beat (humtrack/devrun.py); Ctrl-C stops all three and whatever they started.
run: demo
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BIN)/python -m humtrack.devrun

# Headless Chromium and its driver from Debian's packages, for the browser tests (tests/browser/), and
# gettext, for the test that the committed catalogues hold every string of the code.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/xgettext ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y chromium chromium-driver gettext || { apt-get update && apt-get install -y chromium chromium-driver gettext; }; \
	fi

# PgBouncer from Debian's package, for the scale-out test (tests/integration/test_scale_out.py), which
# starts its own on a free loopback port. The package's own service is disabled and stopped: nothing
# here listens on 6432 (a VM's deployment configures and enables it: docs/deploy.md).
pgbouncer-deps:
	@if [ ! -x /usr/sbin/pgbouncer ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y pgbouncer || { apt-get update && apt-get install -y pgbouncer; }; \
		if command -v systemctl >/dev/null; then systemctl disable --now pgbouncer.service >/dev/null 2>&1 || true; fi; \
	fi

# wrk from Debian's package: the HTTP load of `make bench`'s partner case (bench/http_load.py) and its smoke
# test in `make test`.
bench-deps:
	@if [ ! -x /usr/bin/wrk ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; \
	fi

# The Dari (fa_AF) and Pashto (ps) catalogues under locale/: the strings of the Python code and the
# templates (django), and of the situation page's script (djangojs); then the .mo files, which are
# committed, since a fresh clone has Python but not gettext. Needs gettext (make browser-deps).
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=tests --ignore=node_modules --ignore=staticfiles --ignore=bench
messages: install
	$(BIN)/python manage.py makemessages -l fa_AF -l ps -d django --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python manage.py makemessages -l fa_AF -l ps -d djangojs --no-obsolete $(MESSAGES_IGNORE) --ignore=situation/static/vendor
	$(BIN)/python manage.py compilemessages -l fa_AF -l ps $(MESSAGES_IGNORE)

test: install-dev browser-deps pgbouncer-deps bench-deps
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=humtrack.settings.test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff; import-linter's contracts (pyproject.toml): dependencies point down only (docs/architecture.md);
# mypy with the Django and DRF plugins (pyproject.toml): services and selectors strict, the rest clean.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: install-dev bench-deps
	$(BIN)/python -m bench

# The fault run (bench/faults.py, docs/alerts.md "A fault run"): gunicorn, two Celery workers and beat on a
# PostgreSQL database of its own (DATABASE_URL must name PostgreSQL) and a Redis of its own (redis-server),
# status changes over the API while the relay, a worker, Redis and PostgreSQL are hurt; then counts what
# reached the mailboxes. About eight minutes; writes bench/faults.json. Not part of `test` or `bench`.
fault-run: install-dev
	$(BIN)/python -m bench.faults

# Security: bandit (config and every skip explained in pyproject.toml), the dependency audit (says so
# plainly when the vulnerability service is unreachable), and the bounded load test against gunicorn
# on PostgreSQL. The other security tests (role matrix, hostile input, concurrency) run in `make test`.
check-security: install-dev
	$(BIN)/bandit -c pyproject.toml -r . -q
	$(BIN)/python -m tests.security.audit_dependencies
	HUMTRACK_LOAD_TEST=1 $(BIN)/python -m pytest tests/security/test_load.py $(PYTEST_ARGS)

# deploy/ validated offline (compose-spec and Kubernetes schemas, hadolint, nginx, systemd, the
# production settings through the entrypoint) and the probes, metrics and logs (tests/ops).
check-deploy: install-dev
	$(BIN)/python -m pytest tests/deploy tests/ops $(PYTEST_ARGS)

# Two gunicorn servers and two Celery workers on one PostgreSQL, through a PgBouncer of the test's own in
# transaction pooling, and one Redis, under a bounded mixed load (DATABASE_URL and TEST_REDIS_URL name
# them); writes the measured capacity and the connections PostgreSQL held to test-artifacts/.
scale-test: install-dev pgbouncer-deps
	$(BIN)/python -m pytest tests/integration/test_scale_out.py -m integration -s $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache test-artifacts
