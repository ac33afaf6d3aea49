# Points & Status Assistant. `make run` sets everything up and opens a chat; `make test` runs every test.
.PHONY: setup run serve serve-scaled train test test-fast bench clean

setup:
	@bash scripts/setup.sh

run: setup
	@.venv/bin/python -m ops.supervisor run

serve: setup
	@.venv/bin/python -m ops.supervisor serve

# scale mode (ops/scaled.py): POINTSBOT_WORKERS bot workers and action servers (2), POINTSBOT_RASA_SERVERS Rasa
# servers (2), Redis, the ledger on PostgreSQL (POINTSBOT_DATABASE_URL, else the local cluster of scripts/pg.sh)
serve-scaled:
	@bash scripts/setup.sh --postgresql --redis
	@bash scripts/pg.sh run -- .venv/bin/python -m ops.supervisor serve-scaled

train: setup
	@.venv/bin/python -m ops.supervisor train

# test, test-fast and bench also install PostgreSQL if missing; scripts/pg.sh runs the command with a throwaway
# cluster (var/pg) started for it and stopped after it.
# test: the lint and layer checks, ledger, actions, CLI and HTTP tests (3 workers), then the card bridge through
# pcscd and the virtual reader (alone: one reader that must answer in time), then the conversations on the real
# Rasa, action server and bot (one stack, so one worker), after training and cross-validating the NLU.
test:
	@bash scripts/setup.sh --postgresql --card --redis
	@.venv/bin/python -m ops.supervisor train
	@.venv/bin/pointsbot nlu test
	@bash scripts/pg.sh run -- sh -c '.venv/bin/python -m pytest -p no:cacheprovider -q -ra -m "not rasa and not pcsc" -n 3 \
		&& .venv/bin/python -m pytest -p no:cacheprovider -q -ra -m pcsc \
		&& .venv/bin/python -m pytest -p no:cacheprovider -q -ra -m rasa'

# every test that needs no Rasa (no model, no servers): about a minute
test-fast:
	@bash scripts/setup.sh --postgresql --card
	@bash scripts/pg.sh run -- sh -c '.venv/bin/python -m pytest -p no:cacheprovider -q -ra -m "not rasa and not pcsc" -n 3 \
		&& .venv/bin/python -m pytest -p no:cacheprovider -q -ra -m pcsc'

# bench: turns under load in one run (bench/turns.py → bench/RESULTS.md; about 15 minutes), then the others
bench:
	@bash scripts/setup.sh --postgresql --redis
	@bash scripts/pg.sh run -- .venv/bin/python bench/turns.py
	@.venv/bin/python bench/turn_latency.py
	@bash scripts/pg.sh run -- .venv/bin/python bench/exchanges.py
	@.venv/bin/python bench/flights_import.py

clean:
	rm -rf var/log var/run
