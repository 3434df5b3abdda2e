# One-command set-up: every target creates/refreshes .venv and installs the pinned dependencies first.
#
# Python: python3.11 when there is one (pybullet publishes binary wheels up to CPython 3.11), otherwise the newest
# python3 found; on 3.12+ pip compiles pybullet from source: 57 minutes on a 2-core machine (measured, issue 19).
# `make wheelhouse` compiles it once into wheelhouse/, which every later install here reuses; a 3.11 interpreter
# (`uv python install 3.11`, conda or deadsnakes: docs/install.md) avoids compiling at all.
# `make PYTHON=/path/to/python3.X ...` picks one.
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for p in python3.11 python3.14 python3.13 python3.12 python3; do \
	$$p -c '' >/dev/null 2>&1 && { echo $$p; break; }; done)
endif
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.quadgait-installed
OUT ?= runs/demo
PYBULLET := $(shell grep "^pybullet==" constraints.txt)
WHEELHOUSE ?= wheelhouse
# Installs look for wheels built by `make wheelhouse` first (pybullet for 3.12+), when there are any.
FIND_LINKS := $(if $(wildcard $(WHEELHOUSE)/*.whl),--find-links $(WHEELHOUSE))

.PHONY: install demo train drive train-residual train-steer-residual test test-all bench dist clean

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "error: no python3 found; install Python 3.11 (or newer) and rerun"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' \
		|| { echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import sys; print(*sys.version_info[:2], sep=".")'); quadgait needs 3.11 or newer (run e.g. 'make PYTHON=/path/to/python3.11 ...')"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
		|| ls $(WHEELHOUSE)/pybullet-*-cp$$($(PYTHON) -c 'import sys; print(*sys.version_info[:2], sep="")')-*.whl >/dev/null 2>&1 \
		|| echo "note: $(PYTHON) is Python $$($(PYTHON) -c 'import sys; print(*sys.version_info[:2], sep=".")'): pybullet has no binary wheel for it, so pip compiles it from source (57 minutes on 2 cores; needs a C++ compiler and the Python headers). 'make wheelhouse' first keeps the wheel for later installs; 'make PYTHON=python3.11 ...' avoids compiling (docs/install.md)."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(FIND_LINKS) -c constraints.txt -e ".[dev,onnx,ray,stats,tensorboard,mujoco]"
	touch $(STAMP)

install: $(STAMP)

## Build the pybullet wheel for $(PYTHON) once into $(WHEELHOUSE)/ (on 3.12+ this compiles it: 57 min on 2 cores);
## every later `make install` (any venv, same Python version) installs from it. On 3.11 it just downloads the wheel.
wheelhouse:
	@test -n "$(PYTHON)" || { echo "error: no python3 found"; exit 1; }
	$(PYTHON) -m venv $(WHEELHOUSE)/.build-venv
	$(WHEELHOUSE)/.build-venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	$(WHEELHOUSE)/.build-venv/bin/python -m pip wheel --no-deps $(PYBULLET) -w $(WHEELHOUSE)
	rm -rf $(WHEELHOUSE)/.build-venv
	@ls $(WHEELHOUSE)/pybullet-*.whl

## The main job: the Laikago trots; video and footfall diagram land in $(OUT)
demo: $(STAMP)
	$(VENV)/bin/quadgait demo --out $(OUT)

## Train the steerable dog (PPO over the model-based trot, 100k steps: about 10 minutes on 2 cores), print its time to
## steer and tracking, then film it driving the figure-eight course: runs/steer/figure-eight.mp4
train: $(STAMP)
	$(VENV)/bin/quadgait train --env quadgait/LaikagoSteerPrior-v0 --algo ppo --timesteps 100000 --envs 2 --seed 1 \
		--out runs/steer
	$(PY) benchmarks/time_to_steer.py runs/steer
	$(VENV)/bin/quadgait play runs/steer --course figure-eight --video runs/steer/figure-eight.mp4

## Drive the shipped steerable dog round the figure-eight course, filmed: runs/drive/figure-eight.mp4
## (live from the keyboard instead: .venv/bin/quadgait play laikago-steer-prior-ppo --gui)
drive: $(STAMP)
	$(VENV)/bin/quadgait play laikago-steer-prior-ppo --course figure-eight --video runs/drive/figure-eight.mp4

## The earlier recipes: the trot-residual walker (400k steps) and the joint-space-residual steerer (3M steps, hours)
train-residual: $(STAMP)
	$(VENV)/bin/quadgait train --env quadgait/LaikagoTrotResidual-v0 --algo ppo --timesteps 400000 --envs 2 \
		--seed 1 --out runs/residual
	$(VENV)/bin/quadgait eval runs/residual --seconds 20 --video runs/residual/walk.mp4

train-steer-residual: $(STAMP)
	$(VENV)/bin/quadgait train --env quadgait/LaikagoSteer-v0 --algo ppo --timesteps 3000000 --envs 2 --seed 1 \
		--out runs/steer-residual
	$(VENV)/bin/quadgait play runs/steer-residual --course figure-eight --video runs/steer-residual/figure-eight.mp4

## Lint: ruff over the repository, mypy over the library (settings in pyproject.toml)
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy envs

## Fast test suite (slow tests excluded)
test: $(STAMP)
	$(PY) -m pytest -m "not slow" -q

## Everything, slow tests included
test-all: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/env_speed.py

## The sdist and the wheel, in dist/ (the wheel is built from the sdist, so both carry the URDFs and policies)
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist

# The wheelhouse is kept: rebuilding pybullet on 3.12+ takes most of an hour (rm -rf wheelhouse to drop it).
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
