# Set-up and test entry points. `make test` is the one command CI runs.
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test install demo benchmark clean

$(VPY):
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --upgrade pip

$(STAMP): $(VPY) setup.py requirements/runtime.txt requirements/tests.txt requirements/deploy.txt
	$(VPY) -m pip install -e '.[tests]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(VPY) -m pytest tests

# The whole chain on a synthetic set, CPU only (see README, "make demo").
demo: $(STAMP)
	$(VPY) demo/demo.py --out work_dirs/demo

# Training-step speed vs the reference computation and the data pipeline's
# speed (see README, "Performance"); writes benchmark.json and
# bench_processing.json.
benchmark: $(STAMP)
	$(VPY) tools/analysis_tools/benchmark.py --out benchmark.json
	$(VPY) tools/analysis_tools/bench_processing.py --out bench_processing.json

clean:
	rm -rf $(VENV) work_dirs build *.egg-info
