"""Operations: running the whole assistant, and the `pointsbot` command line.

- `processes`: the action server, the Rasa server and the bot as child processes; health; stopping them all
- `model_cache`: the trained Rasa model, cached by a hash of its inputs (`var/models/<hash>.tar.gz`)
- `nlu_report`: cross-validation of the NLU (`rasa test nlu`), cached the same way under `var/nlu-report/`
- `rasa_cli`: running the Rasa CLI in its own Python 3.10 environment, with progress
- `progress`: one status line in a terminal, plain lines otherwise
- `supervisor`: `make run` / `make serve` / `make train`; `cli`: the `pointsbot` command
"""
