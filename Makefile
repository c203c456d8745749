# Two commands do everything on a fresh machine:
#   make run    set up what compare needs (PyTorch, crates), build, and compare the chapter in Rust
#               with a live PyTorch run
#   make test   set up everything (also Jupyter and the notebook kernel), build, and run every test
#               (unit, snapshots, PyTorch parity, notebooks)
# Each set-up step is skipped when what it makes is already there and current.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
TORCH_VERSION := 2.13.0
EVCXR_VERSION := 0.22.0
CARGO_BIN := $(HOME)/.cargo/bin
EVCXR := $(CARGO_BIN)/evcxr_jupyter
KERNEL_DIR := $(VENV)/share/jupyter/kernels/rust

.PHONY: run test setup python jupyter kernel evcxr crates notebook notebook-timings clean-notebook-cache bench bench-corpora

run: python crates
	cargo run -- compare

test: setup
	cargo test --all-features --no-fail-fast

# Start JupyterLab on the notebooks with the Rust kernel.
notebook: setup
	cd notebooks && ../$(VENV)/bin/jupyter lab

setup: python kernel crates

# Every crate in Cargo.lock, the notebooks' optional ones too: the kernel compiles cells offline.
crates:
	cargo fetch --locked

python: $(VENV)/.installed $(VENV)/torch

# The venv with torch==2.13.0 from PyPI (a CUDA build that also runs on CPU, ~4.7 GB), tiktoken
# and the book's package: what compare and the parity tests need (Jupyter comes with `jupyter`).
# Reinstalled only when requirements.txt changes; fails if torch is not the right version.
$(VENV)/.installed: requirements.txt requirements-book.txt
	@test -x $(VENV)/bin/python || { echo "venv: creating $(VENV) and installing torch==$(TORCH_VERSION) from PyPI (about 90 s)"; $(PYTHON) -m venv $(VENV); }
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps -r requirements-book.txt
	$(VENV)/bin/python -c 'import torch; v = torch.__version__.split("+")[0]; assert v == "$(TORCH_VERSION)", f"torch {v} installed, $(TORCH_VERSION) needed"'
	@touch $@

# tch finds libtorch through this link (see .cargo/config.toml), whatever the Python version.
$(VENV)/torch: | $(VENV)/.installed
	ln -sfn "$$($(VENV)/bin/python -c 'import os, torch; print(os.path.dirname(torch.__file__))')" $@

# Jupyter, for the notebooks and their tests only: `make run` does not need it.
jupyter: $(VENV)/.jupyter-installed

$(VENV)/.jupyter-installed: requirements-notebooks.txt | $(VENV)/.installed
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-notebooks.txt
	@touch $@

# The evcxr Jupyter kernel (about 15 min to compile the first time), registered in the venv only,
# exactly as evcxr_jupyter registers itself (with its version.txt, so that it never rewrites the
# spec on start). The spec needs no environment: the cells find libtorch through the rpath that
# notebooks/evcxr.toml gives them, and cargo finds LIBTORCH in .cargo/config.toml.
kernel: evcxr python jupyter
	@JUPYTER_PATH="$(CURDIR)/$(VENV)/share/jupyter" $(EVCXR) --install > /dev/null
	@echo "kernel: $(KERNEL_DIR)/kernel.json"

evcxr:
	@if ! { test -x "$(EVCXR)" && cargo install --list | grep -qxF "evcxr_jupyter v$(EVCXR_VERSION):"; }; then \
	  echo "installing evcxr_jupyter $(EVCXR_VERSION) (about 15 min the first time)"; \
	  cargo install --locked evcxr_jupyter --version $(EVCXR_VERSION); \
	fi

# How long the notebooks take through the kernel: the first one on an empty build folder (cold),
# then every one again on the kept folder (warm). A benchmark, not a test: it only prints.
notebook-timings: setup
	@rm -rf target/evcxr
	@TIMEFORMAT='%1R s'; kind=cold; for nb in notebooks/01-*.ipynb notebooks/*.ipynb; do \
	  printf '%-5s %-36s ' $$kind $$(basename $$nb); kind=warm; \
	  time $(VENV)/bin/python tests/run_notebook.py $$nb > /dev/null 2> target/notebook-run.log \
	    || { cat target/notebook-run.log; exit 1; }; \
	done

# Drop the notebooks' compiled cells (the next notebook run compiles the crate again).
clean-notebook-cache:
	rm -rf target/evcxr

# Benchmarks (BENCHMARKS.md): the real-corpora path in Rust and in the book's Python/PyTorch, side
# by side on corpora made at run time from the-verdict (10^5, 10^6, 10^7 tokens), then criterion's
# Rust-only benches, all in release builds (the first one compiles every dependency again, ~10 min).
# BENCH_ARGS passes options to benches/side_by_side.py (e.g. BENCH_ARGS="--sizes 1e5 --repeats 3").
# `make bench` also runs the tokenizer benchmarks (bench-bpe) where that target exists.
bench: bench-corpora
	@if grep -q '^bench-bpe:' $(firstword $(MAKEFILE_LIST)); then $(MAKE) --no-print-directory bench-bpe; fi

bench-corpora: python crates
	cargo build --release --bin token-embeddings --example corpora_bench
	$(VENV)/bin/python benches/side_by_side.py --rust target/release/examples/corpora_bench \
	  --cli target/release/token-embeddings $(BENCH_ARGS)
	cargo bench --bench corpora
# The book's BPE from scratch: training speed against the book's own Python (identical merges
# checked), training at scale, and GPT-2 tokenizers compared (ids checked before timing). Builds
# benches/bpe in release mode (its own target folder) and writes the section "## Tokenizers" of
# BENCHMARKS.md. BPE_BENCH_ARGS=--quick for a short check.
.PHONY: bench-bpe
bench-bpe: python
	$(VENV)/bin/python benches/bpe.py --update BENCHMARKS.md $(BPE_BENCH_ARGS)
