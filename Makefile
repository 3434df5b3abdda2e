# One-command set-up: every target creates/refreshes .venv and installs the pinned dependencies first.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.quadgait-installed
OUT ?= runs/demo

.PHONY: install demo train test test-all bench clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "quadgait needs Python 3.11 (pybullet wheels)"' \
		|| { echo "error: $(PYTHON) is not Python 3.11; run e.g. 'make PYTHON=/path/to/python3.11 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev,onnx,ray,tensorboard]"
	touch $(STAMP)

install: $(STAMP)

## The main job: the Laikago trots; video and footfall diagram land in $(OUT)
demo: $(STAMP)
	$(VENV)/bin/quadgait demo --out $(OUT)

## Train a policy on the gait prior (trot residual, ~400k steps), then film it: runs/residual/walk.mp4
train: $(STAMP)
	$(VENV)/bin/quadgait train --env quadgait/LaikagoTrotResidual-v0 --algo ppo --timesteps 400000 --envs 2 \
		--seed 1 --out runs/residual
	$(VENV)/bin/quadgait eval runs/residual --seconds 20 --video runs/residual/walk.mp4

## Fast test suite (slow tests excluded)
test: $(STAMP)
	$(PY) -m pytest -m "not slow" -q

## Everything, slow tests included
test-all: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/env_speed.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
