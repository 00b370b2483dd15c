# Two commands matter: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3.11
# Where `make run` serves the example: `make run PORT=9000` (or `PORT=9000 make run`).
PORT ?= 8080
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: run test lint typecheck unit bench clean install

# The venv is rebuilt when pyproject.toml changes; pip is told to prefer what is cached.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11+) on PATH"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NPM_STAMP): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/polyfn run examples/shop --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check polyfn tests examples benchmarks
	$(VENV)/bin/ruff format --check polyfn tests examples benchmarks
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Azure's Python worker library (azure-functions-runtime) needs Python 3.13: its tests
# (tests/azure_worker) run the generated function_app.py under it from this venv.
AZURE_WORKER_PYTHON ?= env PYENV_VERSION=3.13.0 python3.13
AZURE_WORKER_VENV := .venv-azure-worker
$(AZURE_WORKER_VENV)/.installed: pyproject.toml
	test -x $(AZURE_WORKER_VENV)/bin/python || $(AZURE_WORKER_PYTHON) -m venv $(AZURE_WORKER_VENV) \
		|| { echo "need Python 3.13 for Azure's worker library (pyenv install 3.13.0)"; exit 1; }
	$(AZURE_WORKER_VENV)/bin/pip install --quiet 'azure-functions-runtime>=1.3,<2' 'protobuf>=5' 'azure-functions-durable>=1.2' -e .
	touch $(AZURE_WORKER_VENV)/.installed

unit: $(STAMP) $(NPM_STAMP) $(AZURE_WORKER_VENV)/.installed
	$(PY) -m pytest -q

test: lint typecheck unit

# The peers live in their own venv: they are never polyfn dependencies. The Azure and GCP
# cases need the platforms' own request objects (azure-functions, functions-framework);
# awslambdaric is Lambda's own runtime client, whose imports the cold-start figure starts
# from (what a Lambda process has loaded before it imports the handler).
BENCH_VENV := .bench-venv
$(BENCH_VENV)/.installed: pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet aws-lambda-powertools chalice mangum starlette apig-wsgi flask \
		azure-functions functions-framework awslambdaric
	$(BENCH_VENV)/bin/pip install --quiet -e '.[jwt]'
	touch $(BENCH_VENV)/.installed

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(AZURE_WORKER_VENV) node_modules .polyfn .mypy_cache .ruff_cache .pytest_cache build *.egg-info
