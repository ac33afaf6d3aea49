# Points & Status Assistant. `make run` sets everything up and opens a chat; `make test` runs every test.
.PHONY: setup run serve train test bench clean

setup:
	@bash scripts/setup.sh

run: setup
	@.venv/bin/python -m bot.supervisor run

serve: setup
	@.venv/bin/python -m bot.supervisor serve

train: setup
	@.venv/bin/python -m bot.supervisor train

test: setup
	@.venv/bin/python -m bot.supervisor train
	@.venv/bin/python -m pytest -p no:cacheprovider -q -ra

bench: setup
	@.venv/bin/python bench/turn_latency.py

clean:
	rm -rf var/log var/run
