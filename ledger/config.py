"""Settings read from the environment (the contract in DESIGN.md), with local defaults."""
from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MIN_TOKEN_LENGTH = 32


def listening_socket(port: int, *, reuse_port: bool = False) -> socket.socket:
    """A TCP socket listening on 127.0.0.1:`port`. With `reuse_port` (SO_REUSEPORT) several processes listen on
    the same port and the kernel spreads new connections over them: N workers behind one port, and a worker
    that dies only takes its own open connections with it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class InsecureSetting(ValueError):
    """A setting that would leave a door open (a short API token, a webhook without its secret)."""


def private_dir(path: Path) -> Path:
    """`path`, created if missing, readable by the owner only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """`path`, created if missing, readable and writable by the owner only (0600)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    os.chmod(path, 0o600)
    return path


def write_private(path: Path, text: str) -> Path:
    """Write `text` to `path` atomically (temp file, fsync, rename), mode 0600."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temp, path)
    return path


def secret_file(path: Path) -> str:
    """The secret in `path`, generated once if the file is missing (mode 0600).

    Written atomically: a temp file in the same folder, fsync, then a hard link to the final name, which fails
    if another process got there first — so concurrent starts agree on one secret and nobody reads half a file.
    """
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    # A new folder is the owner's only; an existing one keeps its mode, since the PostgreSQL test cluster under
    # var/ runs as another user that must pass through it. The secret file itself is always 0600.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(32))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process wrote it first: use theirs
    finally:
        temp.unlink(missing_ok=True)
    return path.read_text(encoding="ascii").strip()


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
    telegram_token: str | None = field(repr=False)
    telegram_api_base: str | None
    telegram_webhook_url: str | None
    telegram_webhook_secret: str | None = field(repr=False)
    api_token_env: str | None = field(repr=False)
    partner_url: str | None = None    # a partner's HTTP API; unset → the sandbox partner in our database
    partner_token: str | None = field(default=None, repr=False)
    public_origin: str | None = None  # the origin the card agent signs for; unset → http://127.0.0.1:<http_port>
    card_ca_files: tuple[str, ...] = ()   # PEM files of the JPKI user-authentication CAs (and link certs)
    card_crl_files: tuple[str, ...] = ()  # CRLs (DER or PEM); none in production → revocation unknown → refused
    card_ocsp_url: str | None = None      # an OCSP responder for revocation (takes precedence over CRLs)
    session_hours: int = 12
    alexa_skill_id: str | None = None     # the skill's application id: requests for another skill are refused
    alexa_verify: bool = True             # request signature and timestamp checks; off only in sandbox
    stt_url: str | None = None            # an OpenAI-compatible speech-to-text API (…/v1): voice notes heard
    stt_model: str = "whisper-1"
    stt_token: str | None = field(default=None, repr=False)
    user_rate: float = 5.0                # HTTP API turns a second per user (burst user_burst): 429 beyond
    user_burst: int = 20
    token_rate: float = 500.0             # requests a second per API token (burst token_burst)
    token_burst: int = 1000
    reuse_port: bool = False              # scale mode: several bot workers (action servers) share one port
    line_channel_secret: str | None = field(default=None, repr=False)        # LINE: checks X-Line-Signature
    line_channel_access_token: str | None = field(default=None, repr=False)  # LINE: reply and push
    line_api_base: str | None = None      # LINE's Messaging API (tests: the local fake); unset → api.line.me
    line_monthly_quota: int | None = None  # the LINE plan's messages a month: notices wait when used up

    @property
    def origin(self) -> str:
        return (self.public_origin or f"http://127.0.0.1:{self.http_port}").rstrip("/").lower()

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
            api_token_env=env.get("POINTSBOT_API_TOKEN"),
            partner_url=(env.get("POINTSBOT_PARTNER_URL") or "").rstrip("/") or None,
            partner_token=env.get("POINTSBOT_PARTNER_TOKEN") or None,
            public_origin=env.get("POINTSBOT_PUBLIC_ORIGIN") or None,
            card_ca_files=tuple(p for p in (env.get("POINTSBOT_CARD_CA_FILES") or "").split(os.pathsep) if p),
            card_crl_files=tuple(p for p in (env.get("POINTSBOT_CARD_CRL_FILES") or "").split(os.pathsep) if p),
            card_ocsp_url=env.get("POINTSBOT_CARD_OCSP_URL") or None,
            session_hours=int(env.get("POINTSBOT_SESSION_HOURS") or 12),
            alexa_skill_id=env.get("ALEXA_SKILL_ID") or None,
            alexa_verify=_flag(env.get("ALEXA_VERIFY"), True),
            stt_url=(env.get("POINTSBOT_STT_URL") or "").rstrip("/") or None,
            stt_model=env.get("POINTSBOT_STT_MODEL") or "whisper-1",
            stt_token=env.get("POINTSBOT_STT_TOKEN") or None,
            user_rate=float(env.get("POINTSBOT_USER_RATE") or 5.0),
            user_burst=int(env.get("POINTSBOT_USER_BURST") or 20),
            token_rate=float(env.get("POINTSBOT_TOKEN_RATE") or 500.0),
            token_burst=int(env.get("POINTSBOT_TOKEN_BURST") or 1000),
            reuse_port=_flag(env.get("POINTSBOT_REUSE_PORT"), False),
            line_channel_secret=env.get("LINE_CHANNEL_SECRET") or None,
            line_channel_access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
            line_api_base=(env.get("LINE_API_BASE_URL") or "").rstrip("/") or None,
            line_monthly_quota=int(env["LINE_MONTHLY_QUOTA"]) if env.get("LINE_MONTHLY_QUOTA") else None,
        )

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def api_token(self) -> str:
        """The HTTP API bearer token: from the environment, else generated once into var/api-token (0600).
        A token shorter than 32 characters is refused (InsecureSetting)."""
        token = self.api_token_env if self.api_token_env is not None else secret_file(self.var_dir / "api-token")
        if len(token.strip()) < MIN_TOKEN_LENGTH:
            raise InsecureSetting(f"POINTSBOT_API_TOKEN must be at least {MIN_TOKEN_LENGTH} characters "
                                  f"(got {len(token.strip())}); unset it to have one generated into var/api-token")
        return token.strip()

    def rasa_token(self) -> str:
        """What the bot shows Rasa's message channel (var/rasa-token, 0600): no other process may talk for a user."""
        return secret_file(self.var_dir / "rasa-token")

    def actions_token(self) -> str:
        """What Rasa shows the action server (var/actions-token, 0600), sent through the generated endpoints.yml."""
        return secret_file(self.var_dir / "actions-token")

    @property
    def line_configured(self) -> bool:
        return bool(self.line_channel_secret and self.line_channel_access_token)

    def check_line(self) -> None:
        """LINE needs both its channel secret (to check who is posting) and its access token (to answer)."""
        if bool(self.line_channel_secret) != bool(self.line_channel_access_token):
            raise InsecureSetting("set both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN, or neither")

    def check_alexa(self) -> None:
        """Alexa's request checks (signature, timestamp) can be switched off only in sandbox."""
        if not self.alexa_verify and not self.sandbox:
            raise InsecureSetting("ALEXA_VERIFY=0 is allowed only in sandbox (POINTSBOT_SANDBOX=1): without the "
                                  "signature check anyone could post Alexa requests as any user")

    def check_webhook(self) -> None:
        """Webhook mode needs its secret: without it anyone could post updates as any Telegram user."""
        if self.telegram_token and self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise InsecureSetting("TELEGRAM_WEBHOOK_URL is set without TELEGRAM_WEBHOOK_SECRET: set a secret "
                                  "(1-256 characters A-Z a-z 0-9 _ -) so only Telegram can post updates")
