"""The assistant's front: Telegram (python-telegram-bot), the HTTP API for voice assistants, the console."""
