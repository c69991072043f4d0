# Set-up and test entry points. `make test` is the one command CI runs.
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test lint install browser demo webui benchmark clean

$(VPY):
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --upgrade pip

$(STAMP): $(VPY) setup.py requirements/runtime.txt requirements/tests.txt requirements/deploy.txt requirements/webui.txt
	$(VPY) -m pip install -e '.[tests]'
	touch $(STAMP)

install: $(STAMP) browser

# Chromium for the browser test (tests/demo/test_webui.py): the
# distribution's package, installed when missing if this is root with apt;
# otherwise that test is skipped, saying what to install.
HAVE_CHROMIUM = command -v chromium || command -v chromium-browser || \
	command -v google-chrome-stable || command -v google-chrome
browser:
	@if { $(HAVE_CHROMIUM); } >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo 'Installing Chromium for tests/demo/test_webui.py: apt-get install -y chromium'; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium >/dev/null; } || \
		echo 'Chromium could not be installed: tests/demo/test_webui.py will be skipped'; \
	else \
		echo 'Chromium is missing: tests/demo/test_webui.py will be skipped; install it with: sudo apt-get install -y chromium'; \
	fi

# Style first (the OpenMMLab set with setup.cfg's settings; .pre-commit-config
# runs the same on each commit), then the tests.
LINTED := cavmae_mm tools tests demo configs setup.py

lint: $(STAMP)
	$(VPY) -m flake8 $(LINTED)
	$(VPY) -m isort --check-only --diff $(LINTED)
	$(VPY) -m yapf --diff --recursive $(LINTED)

test: lint browser
	$(VPY) -m pytest tests

# The whole chain on a synthetic set, CPU only (see README, "make demo");
# `make demo DEMO_ARGS=--shards` pretrains from WebDataset shards.
DEMO_ARGS ?=
demo: $(STAMP)
	$(VPY) demo/demo.py --out work_dirs/demo $(DEMO_ARGS)

# The page in the browser (see README, "A page in the browser"):
# make webui CONFIG=cavmae-ft_as2m_as-full-51.2 CHECKPOINT=checkpoints/as-full-51.2.pth
# [WEBUI_ARGS='--allowed-dir videos/ --search-config ...']; installs the
# webui extra (Gradio) when missing.
CONFIG ?=
CHECKPOINT ?=
WEBUI_ARGS ?=
webui: $(VPY)
	@$(VPY) -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('gradio') and u.find_spec('cavmae_mm')))" \
		|| $(VPY) -m pip install -e '.[webui]'
	$(VPY) demo/webui.py $(if $(CONFIG),--config $(CONFIG)) \
		$(if $(CHECKPOINT),--checkpoint $(CHECKPOINT)) $(WEBUI_ARGS)

# Training-step speed vs the reference computation and the data pipeline's
# speed (see docs/performance.md); writes benchmark.json and
# bench_processing.json.
benchmark: $(STAMP)
	$(VPY) tools/analysis_tools/benchmark.py --out benchmark.json
	$(VPY) tools/analysis_tools/bench_processing.py --out bench_processing.json

clean:
	rm -rf $(VENV) work_dirs build *.egg-info
