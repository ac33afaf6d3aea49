# Points & Status Assistant. `make run` sets everything up and opens a chat; `make test` runs every test.
.PHONY: setup run serve train test bench clean

setup:
	@bash scripts/setup.sh

run: setup
	@.venv/bin/python -m ops.supervisor run

serve: setup
	@.venv/bin/python -m ops.supervisor serve

train: setup
	@.venv/bin/python -m ops.supervisor train

# test and bench also install PostgreSQL if missing; scripts/pg.sh runs the command with a throwaway
# cluster (var/pg) started for it and stopped after it.
test:
	@bash scripts/setup.sh --postgresql
	@.venv/bin/python -m ops.supervisor train
	@.venv/bin/python -m ops.supervisor test-nlu
	@bash scripts/pg.sh run -- .venv/bin/python -m pytest -p no:cacheprovider -q -ra

bench:
	@bash scripts/setup.sh --postgresql
	@.venv/bin/python bench/turn_latency.py
	@bash scripts/pg.sh run -- .venv/bin/python bench/exchanges.py
	@.venv/bin/python bench/flights_import.py

clean:
	rm -rf var/log var/run
