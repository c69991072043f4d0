# Set-up and test entry points. `make test` is the one command CI runs.
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test lint install demo benchmark clean

$(VPY):
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --upgrade pip

$(STAMP): $(VPY) setup.py requirements/runtime.txt requirements/tests.txt requirements/deploy.txt
	$(VPY) -m pip install -e '.[tests]'
	touch $(STAMP)

install: $(STAMP)

# Style first (the OpenMMLab set with setup.cfg's settings; .pre-commit-config
# runs the same on each commit), then the tests.
LINTED := cavmae_mm tools tests demo configs setup.py

lint: $(STAMP)
	$(VPY) -m flake8 $(LINTED)
	$(VPY) -m isort --check-only --diff $(LINTED)
	$(VPY) -m yapf --diff --recursive $(LINTED)

test: lint
	$(VPY) -m pytest tests

# The whole chain on a synthetic set, CPU only (see README, "make demo");
# `make demo DEMO_ARGS=--shards` pretrains from WebDataset shards.
DEMO_ARGS ?=
demo: $(STAMP)
	$(VPY) demo/demo.py --out work_dirs/demo $(DEMO_ARGS)

# Training-step speed vs the reference computation and the data pipeline's
# speed (see docs/performance.md); writes benchmark.json and
# bench_processing.json.
benchmark: $(STAMP)
	$(VPY) tools/analysis_tools/benchmark.py --out benchmark.json
	$(VPY) tools/analysis_tools/bench_processing.py --out bench_processing.json

clean:
	rm -rf $(VENV) work_dirs build *.egg-info
