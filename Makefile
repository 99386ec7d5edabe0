# Matrix Calculus for Deep Learning: every target works on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# nbgrader runs `alembic` from PATH when it creates a gradebook.
export PATH := $(BIN):$(PATH)

.PHONY: install lab test exercises bench demo clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.10+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# JupyterLab refuses to run as root unless told; extra server options go in LAB_ARGS.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS ?=

lab: install
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) $(LAB_ARGS) course/00_how_this_course_works.ipynb

PYTEST_ARGS ?= -n auto

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

exercises: install
	$(BIN)/autograder release --no-db

bench: install
	$(BIN)/python benchmarks/bench_grading.py

demo: install
	$(BIN)/autograder demo

clean:
	rm -rf submitted autograded feedback gradebook.db grades.csv reports bench_results

# The course on a local JupyterHub (hub/, docs/jupyterhub.md): as root; HUB_PORT, HUB_PREFIX, HUB_STUDENTS, HUB_ROOT.
# Its environment hub/.venv is built with the system's Python, which every account can run.
HUB_PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
.PHONY: hub hub-stop

hub: hub/.venv/.installed hub/node_modules/.installed
	hub/.venv/bin/python hub/course_hub.py start

hub/.venv/.installed: pyproject.toml hub/requirements.txt
	$(HUB_PYTHON) -c 'import ensurepip' 2>/dev/null || { test "$$(id -u)" = 0 && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
	test -x hub/.venv/bin/python || $(HUB_PYTHON) -m venv hub/.venv
	hub/.venv/bin/python -m pip install --quiet --upgrade pip
	hub/.venv/bin/python -m pip install --quiet -e . -r hub/requirements.txt
	# the Validate button answered by autograder validate, as in `make lab` (when the course has it)
	test ! -f jupyter-config/autograder.json || install -D -m 644 jupyter-config/autograder.json \
	  hub/.venv/etc/jupyter/jupyter_server_config.d/autograder.json
	touch $@

hub/node_modules/.installed: hub/package.json hub/package-lock.json
	command -v npm >/dev/null || { test "$$(id -u)" = 0 && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --prefix hub --no-audit --no-fund
	touch $@

hub-stop:
	$(PYTHON) hub/course_hub.py stop
