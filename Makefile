# cinr_lab — two commands: `make study` (run the whole study) and `make test` (what CI runs).
# Needs only Python 3.11+ and make; everything else goes into .venv from requirements.lock.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Optional extra package index for torch, e.g. PyTorch's CPU-only wheel index on Linux.
TORCH_INDEX ?=
STAMP := $(VENV)/.installed-stamp
# glibc: keep freed memory for reuse instead of unmapping it (a training step otherwise spends a
# quarter of its time faulting its tensors back in; `cinr-lab bench --only jobs`). The CLI does
# the same itself (cinr_lab.ops.jobs.keep_freed_memory); these reach notebooks' kernels and tests.
export MALLOC_MMAP_MAX_ := 0
export MALLOC_TRIM_THRESHOLD_ := 2147483647
# Torch threads per process (empty: torch's default, every core; `make study` and `make test`
# share the cores out among their JOBS / TEST_JOBS processes themselves).
THREADS ?=
ifneq ($(THREADS),)
export OMP_NUM_THREADS := $(THREADS)
export MKL_NUM_THREADS := $(THREADS)
endif
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: help install install-check data runs study test lab lint bench lock clean

help:
	@echo "make study   set up .venv, build the embedded data set, run every notebook"
	@echo "make test    unit tests and nbval over notebooks/ (what CI runs)"
	@echo "make install-check  pip install the built wheel with its dependencies in a fresh venv and play a model"
	@echo "make runs    copy the runs notebooks 02, 04 and 05 share from weights/runs/ (RETRAIN=1: train them, ~1 h on 2 cores, and check them against those)"
	@echo "make lab     open JupyterLab on notebooks/"
	@echo "make lint    ruff over cinr_lab/ and tests/"
	@echo "make bench   speed figures for this machine (cinr-lab bench)"
	@echo "make lock    re-resolve requirements.lock from pyproject.toml"

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info >= (3, 11), "cinr_lab needs Python 3.11+"'
	$(BIN)/python -m pip install --quiet -c requirements.lock $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) torch
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install: $(STAMP)

data: $(STAMP)
	$(BIN)/cinr-lab data build

# The seed-0 Table 1 runs and the omega_hidden sweep, shared by notebooks 02, 04 and 05: copied
# from weights/runs/ (the runs the committed results were measured on), or trained with RETRAIN=1
# (about an hour on 2 cores). A notebook trains a missing one itself, but not within its budget.
RETRAIN ?=
runs: data
	$(BIN)/cinr-lab runs $(if $(RETRAIN),--retrain)

# JOBS notebooks at once, each in its own kernel with its share of the cores (1: one by one).
JOBS ?= 2
study: runs
	$(BIN)/python tools/execute_notebook.py --jobs $(JOBS) $(NOTEBOOKS)
	@echo "Done: executed notebooks are in notebooks/, figures in figures/."
	@echo "Open them with: make lab"

# TEST_JOBS pytest-xdist workers (each notebook's cells stay on one: --dist loadscope), the cores
# shared out among them and their notebook kernels (tests/conftest.py). 1: one process, as before.
TEST_JOBS ?= 2
test: runs
	$(BIN)/python -m pytest tests $(NOTEBOOKS) --nbval --nbval-current-env --durations=20 \
		$(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadscope)

# A new user's `pip install` of the built wheel, with its dependencies, in a fresh venv (needs PyPI
# or a pip cache): it must need no system package and play a shipped model (issue 29).
install-check:
	PYTHON=$(PYTHON) tools/install_check.sh

lab: data
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check cinr_lab tests
	$(BIN)/ruff format --check cinr_lab tests

bench: data
	$(BIN)/cinr-lab bench

lock:
	PYTHON=$(PYTHON) tools/relock.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
