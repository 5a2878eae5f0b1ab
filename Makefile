# Two commands do everything on a fresh machine:
#   make gate   the main job: the gate suite against the built-in reference and naive targets
#   make test   lint and the test suite
# Both create .venv and install Seatrial into it first.

VENV := .venv
BIN := $(VENV)/bin
SEEDS ?= 5
LIVE_JOBS ?= 2
LIVE_RETRIES ?= 1

.PHONY: setup gate gate-live test browser bench pacts docs clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

gate: setup
	mkdir -p reports
	$(BIN)/seatrial run --target reference --seeds $(SEEDS) \
		--json reports/gate-reference.json --junit reports/gate-reference.xml
	@$(BIN)/seatrial run --target naive --seeds $(SEEDS) --json reports/gate-naive.json; \
	status=$$?; if [ $$status -ne 1 ]; then \
		echo "gate: naive should be caught (exit 1) but seatrial exited $$status"; exit 1; fi; \
	echo "gate: reference held every invariant; naive was caught, as it must be"
	$(BIN)/seatrial report reports/gate-reference.json reports/gate-naive.json \
		-o reports/gate.html --title "Seatrial gate: reference and naive"

# The gate suite live, over HTTP, against `seatrial sut reference` and `seatrial sut naive`,
# LIVE_JOBS scenarios at a time, each with its own simulators and SUT, at a pace a warm-up picks
# for the SUT (not one of the two set-up commands). The reference must hold: an inconclusive
# check (the harness itself fell behind, figures printed; rerun LIVE_RETRIES times at half the
# pace first) is reported, never a failure of the SUT; naive must be caught (exit 1). Two at a
# time on this 2-core kind of machine: quiet, 22 of 22 held for the reference in 31 minutes.
gate-live: setup
	mkdir -p reports
	@$(BIN)/seatrial run --target-cmd "$(BIN)/seatrial sut reference" --jobs $(LIVE_JOBS) \
		--retry-inconclusive $(LIVE_RETRIES) \
		--json reports/gate-live-reference.json --junit reports/gate-live-reference.xml; \
	status=$$?; if [ $$status -eq 3 ]; then \
		echo "gate-live: the reference was convicted of nothing; some checks stayed inconclusive"; \
	elif [ $$status -ne 0 ]; then exit $$status; fi
	@$(BIN)/seatrial run --target-cmd "$(BIN)/seatrial sut naive" --jobs $(LIVE_JOBS) \
		--json reports/gate-live-naive.json; \
	status=$$?; if [ $$status -ne 1 ]; then \
		echo "gate-live: naive should be caught (exit 1) but seatrial exited $$status"; exit 1; fi; \
	echo "gate-live: reference held every invariant live; naive was caught, as it must be"

# The in-process tests on two pytest-xdist workers, a test file each at a time; then the tests
# judged on the wall clock (live runs, Locust loads) alone, since a live run sharing two cores
# with other work can miss its deadlines (the `wall_clock` marker, pyproject.toml). Installs
# nothing outside .venv: without a Chromium the HTML report's browser test is skipped, saying
# how to get one (`make browser`), except where CI is set, where it fails.
test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile -m "not slow and not wall_clock"
	$(BIN)/pytest -m "wall_clock and not slow"

# Debian's Chromium, for the HTML report's headless-browser test (installed once, as root or
# with sudo; Playwright drives it and never downloads a browser of its own). Not part of
# `make test`, which never calls apt-get or sudo; .ci/run calls it.
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

bench: setup
	$(BIN)/python bench/peak_day.py

# Regenerate the canonical Pact contracts from the reference implementation (docs/contracts.md);
# tests/test_contracts_consumer.py fails while the committed ones are stale. Cleared first:
# Pact merges into existing files, so a removed interaction would otherwise live on.
pacts: setup
	rm -rf contracts/pacts
	PACT_DO_NOT_TRACK=true $(BIN)/python -m seatrial.contracts.consumer contracts/pacts

# Regenerate the references generated from the code: docs/cli.md from the click commands,
# docs/catalogue.md's numbers from the scenario files, docs/protocol-guide.md's tables from the
# simulators, the vocabulary and the scenario files (its table of live pace ceilings also in
# docs/scenarios.md and docs/live-protocol.md); tests/test_cli_reference.py,
# test_catalogue_reference.py and test_protocol_reference.py fail while one is stale; and the
# broker channel's AsyncAPI document, contracts/asyncapi/ (tests/test_asyncapi.py).
docs: setup
	$(BIN)/python -m seatrial.contracts.asyncapi contracts/asyncapi
	$(BIN)/python -m seatrial.cli_reference docs/cli.md
	$(BIN)/python -m seatrial.catalogue_reference docs/catalogue.md
	$(BIN)/python -m seatrial.protocol_reference docs/protocol-guide.md
	$(BIN)/python -m seatrial.protocol_reference docs/scenarios.md
	$(BIN)/python -m seatrial.protocol_reference docs/live-protocol.md

clean:
	rm -rf $(VENV) reports .pytest_cache .ruff_cache
