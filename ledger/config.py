"""Settings read from the environment (the contract in DESIGN.md), with local defaults."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything a process needs to know about where things are."""

    var_dir: Path
    database_url: str
    http_port: int
    rasa_url: str
    action_port: int
    sandbox: bool
    telegram_token: str | None
    telegram_api_base: str | None
    telegram_webhook_url: str | None
    telegram_webhook_secret: str | None
    api_token_env: str | None
    partner_url: str | None = None    # a partner's HTTP API; unset → the sandbox partner in our database
    partner_token: str | None = None

    @classmethod
    def from_env(cls, env: os._Environ[str] | dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        var_dir = Path(env.get("POINTSBOT_VAR_DIR") or REPO_ROOT / "var")
        return cls(
            var_dir=var_dir,
            database_url=env.get("POINTSBOT_DATABASE_URL") or f"sqlite:///{var_dir / 'pointsbot.sqlite3'}",
            http_port=int(env.get("POINTSBOT_HTTP_PORT") or 8080),
            rasa_url=(env.get("RASA_URL") or "http://127.0.0.1:5005").rstrip("/"),
            action_port=int(env.get("POINTSBOT_ACTION_PORT") or 5055),
            sandbox=_flag(env.get("POINTSBOT_SANDBOX"), True),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_base=env.get("TELEGRAM_API_BASE_URL") or None,
            telegram_webhook_url=env.get("TELEGRAM_WEBHOOK_URL") or None,
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
            api_token_env=env.get("POINTSBOT_API_TOKEN") or None,
            partner_url=(env.get("POINTSBOT_PARTNER_URL") or "").rstrip("/") or None,
            partner_token=env.get("POINTSBOT_PARTNER_TOKEN") or None,
        )

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def api_token(self) -> str:
        """The HTTP API bearer token: from the environment, else generated once into var/api-token (0600)."""
        if self.api_token_env:
            return self.api_token_env
        path = self.var_dir / "api-token"
        self.var_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
        return path.read_text().strip()
