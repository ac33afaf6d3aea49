"""The Rasa project's own Python code (custom components), loaded by the Rasa server in its Python 3.10 venv."""
