# authfit: `make demo` runs the whole job on a synthetic world; `make test` runs the tests.
# Both create .venv and install from the lock file on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_WORLD := data/demo
DEMO_CANDIDATES := data/demo-candidates
DEMO_INFLUENCERS ?= 1500
DEMO_SEED ?= 7
DEMO_CAMPAIGN ?= cmp_0000
DEMO_BUDGET ?= 20000
# pytest-xdist processes for `make test`, one per core of the 2-core CI machine; 0 runs in this process.
# Each test file stays on one worker (--dist loadfile), so a module's fixtures are built once.
TEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help install demo test test-all pretrained bench-features lock clean bench-load reliability-report cli-reference notebooks demo-report bench-scoring benchmark benchmark-docs

help:  ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install authfit with pinned dependencies

demo: $(STAMP)  ## end to end on a synthetic world: simulate, validate, train, score, rank
	$(BIN)/authfit simulate --influencers $(DEMO_INFLUENCERS) --seed $(DEMO_SEED) --out $(DEMO_WORLD)
	$(BIN)/authfit validate $(DEMO_WORLD) --rejects results/demo-rejects.csv
	$(BIN)/authfit train --config configs/train.yaml --data $(DEMO_WORLD)
	$(BIN)/authfit simulate --influencers 400 --seed $$(($(DEMO_SEED) + 1)) --out $(DEMO_CANDIDATES)
	$(BIN)/authfit score --model models/latest --data $(DEMO_CANDIDATES) --campaign $(DEMO_CAMPAIGN) \
		--out results/demo-scores.parquet
	$(BIN)/authfit shortlist --scores results/demo-scores.parquet --campaign $(DEMO_CAMPAIGN) \
		--budget $(DEMO_BUDGET) --max-per-niche 3 --min-authenticity 60 --out results/demo-shortlist.csv

test: $(STAMP)  ## run the test suite (real-data tests skip with a reason when the data sets are absent)
	$(BIN)/python -m pytest -m "not slow" -n $(TEST_WORKERS) --dist loadfile

test-all: $(STAMP)  ## run every test, slow ones included
	$(BIN)/python -m pytest

bench-features: $(STAMP)  ## feature pipeline throughput -> results/bench-features.json
	$(BIN)/python -m authfit_bench.features_speed --out results/bench-features.json

lock: $(STAMP)  ## refresh requirements.lock from the current environment
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^authfit' > requirements.lock

clean:  ## remove generated worlds, results and the virtualenv
	rm -rf $(VENV) $(DEMO_WORLD) $(DEMO_CANDIDATES) results mlruns.db mlartifacts models/latest.json \
		$(filter-out models/pretrained/,$(wildcard models/*/))

pretrained: $(STAMP)  ## retrain the shipped account/comment models (needs $$AUTHFIT_DATASETS) -> models/pretrained
	$(BIN)/python -m authfit.training.pretrained_build --config configs/train.yaml --out models/pretrained

cli-reference: $(STAMP)  ## regenerate docs/cli.md from each command's --help
	$(BIN)/python -m authfit_bench.cli_reference --doc docs/cli.md

notebooks: $(STAMP)  ## run the notebooks top to bottom (also part of make test)
	$(BIN)/python -m pytest tests/docs/test_notebooks.py -q

demo-report: $(STAMP)  ## HTML audit of the demo shortlist (after make demo) -> results/demo-report.html
	$(BIN)/authfit report --scores results/demo-shortlist.csv --data $(DEMO_CANDIDATES) --out results/demo-report.html

bench-scoring: $(STAMP)  ## scoring speed: Scorer vs Booster, raw influencers/s, RSS, service and mlflow serve latency -> results/bench-scoring.json
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m authfit_bench.scoring_speed --out results/bench-scoring.json

benchmark: $(STAMP)  ## real-data + simulated benchmark (10-fold x5; ~20 min on 2 cores) -> results/benchmark.{json,md}
	$(BIN)/authfit benchmark --out results

benchmark-docs: $(STAMP)  ## regenerate docs/benchmark.md from results/benchmark.json (after make benchmark)
	$(BIN)/python -m authfit_bench.benchmarks.docs --json results/benchmark.json --out docs/benchmark.md

LOAD_MODEL ?= models/latest
bench-load: $(STAMP)  ## HTTP load test: >= 20,000 requests at authfit serve -> results/bench-load.json
	$(BIN)/python -m authfit_bench.loadtest --model $(LOAD_MODEL) --out results/bench-load.json

reliability-report: $(STAMP)  ## rerun the reliability tests (slow ones too) and regenerate docs/reliability.md
	mkdir -p results && rm -f results/reliability-cases.jsonl
	AUTHFIT_RELIABILITY_LOG=$(CURDIR)/results/reliability-cases.jsonl $(BIN)/python -m pytest -q \
		tests/unit/test_bad_input_properties.py tests/unit/test_regressions.py tests/unit/test_report.py tests/integration/test_reliability_scorer.py tests/integration/test_reliability_http.py \
		tests/integration/test_reliability_faults.py
	$(BIN)/python -m authfit_bench.reliability_report --doc docs/reliability.md
