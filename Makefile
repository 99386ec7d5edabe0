# Matrix Calculus for Deep Learning: every target works on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed
# nbgrader runs `alembic` from PATH when it creates a gradebook.
export PATH := $(BIN):$(PATH)

.PHONY: install git-filter lab test exercises bench bench-dask demo clean

install: $(STAMP) git-filter

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.10+ is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	# the notebook's Validate button runs autograder validate (the autograder.lab server extension)
	install -D -m 644 jupyter-config/autograder.json $(VENV)/etc/jupyter/jupyter_server_config.d/autograder.json
	touch $@

# In a git clone, notebooks are committed without outputs: .gitattributes names the nbstripout filter,
# this defines it for this clone (--keep-id: cell ids stay as committed; what a kernel adds to
# language_info on a run is stripped too, so a notebook that was only run shows no change).
RUN_METADATA := $(addprefix metadata.language_info.,codemirror_mode file_extension mimetype nbconvert_exporter \
                pygments_lexer version)
git-filter:
	@if [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ]; then \
	  git config filter.nbstripout.clean '"$(BIN)/python" -m nbstripout --keep-id' && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.extrakeys '$(RUN_METADATA)' && \
	  git config diff.ipynb.textconv '"$(BIN)/python" -m nbstripout --keep-id -t'; \
	fi

# JupyterLab refuses to run as root unless told. lab/overrides.json holds the course's JupyterLab defaults
# (no "get notified about official Jupyter news?" question). Extra server options go in LAB_ARGS, e.g.
#   make lab LAB_ARGS="--no-browser --ServerApp.port=8890 --IdentityProvider.token=SECRET"
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_ARGS ?=

lab: install
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) --LabApp.app_settings_dir=$(CURDIR)/lab $(ROOT_FLAG) \
	  $(LAB_ARGS) course/00_how_this_course_works.ipynb

PYTEST_ARGS ?= -n auto

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

exercises: install
	$(BIN)/autograder release --no-db

bench: install
	$(BIN)/python benchmarks/bench_grading.py

bench-dask: install
	$(BIN)/python benchmarks/bench_dask.py

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
