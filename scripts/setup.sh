#!/usr/bin/env bash
# Installs both Python environments; skips a step whose inputs have not changed.
#   .venv       Python 3.11+: bot, actions (rasa_sdk), ledger, tests
#   .venv-rasa  Python 3.10:  Rasa Open Source 3.6 + SudachiPy (its pins clash with the app's)
# With --postgresql (make test, make bench) also PostgreSQL: installed with apt-get when missing,
# and a throwaway test cluster created under var/pg (scripts/pg.sh starts and stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
quiet_pip() {  # pip's own lines about missing local mirrors are noise here
  set +e
  "$@" 2>&1 | grep -v -e "is ignored: it is neither a file nor a directory"
  local rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}
with_progress() {  # with_progress LABEL LOG CMD… : run CMD, showing elapsed time and packages seen
  local label=$1 log=$2; shift 2
  mkdir -p "$(dirname "$log")"
  "$@" >"$log" 2>&1 &
  local pid=$! start=$SECONDS last=-100
  while kill -0 "$pid" 2>/dev/null; do
    local n; n=$(grep -c -e '^Collecting' -e '^Requirement already satisfied' "$log" 2>/dev/null || true)
    if [ -t 1 ]; then
      printf '\r    %s: %ds, %s packages resolved ' "$label" $((SECONDS - start)) "${n:-0}"
    elif [ $((SECONDS - last)) -ge 15 ]; then
      echo "    $label: $((SECONDS - start))s, ${n:-0} packages resolved"; last=$SECONDS
    fi
    sleep 1
  done
  local rc=0; wait "$pid" || rc=$?
  [ -t 1 ] && printf '\n'
  if [ "$rc" -ne 0 ]; then
    grep -v "is ignored: it is neither" "$log" | tail -30 >&2
    echo "error: $label failed (full log: $log)" >&2
  fi
  return "$rc"
}
stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

find_python() {  # find_python 3.10 → a python3.10 binary
  local v=$1
  for c in "python$v" "/root/.pyenv/versions/$v"*/bin/python "$HOME/.pyenv/versions/$v"*/bin/python "/usr/bin/python$v"; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$v'.split('.')))" 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  if command -v uv >/dev/null 2>&1; then uv python find "$v" 2>/dev/null && return 0; fi
  return 1
}

PY311=$(find_python 3.11 || find_python 3.12 || true)
PY310=$(find_python 3.10 || true)
[ -n "$PY311" ] || { echo "error: Python 3.11 or newer is needed for the app" >&2; exit 1; }
[ -n "$PY310" ] || { echo "error: Python 3.10 is needed for Rasa 3.6 (pyenv install 3.10.13, or uv python install 3.10)" >&2; exit 1; }

APP_STAMP=$(stamp_of pyproject.toml vendor/*.whl)
if [ "$(cat .venv/.stamp 2>/dev/null)" != "$APP_STAMP" ]; then
  step "Installing the app environment (.venv, $("$PY311" --version)) — about 1 minute"
  [ -x .venv/bin/python ] || "$PY311" -m venv .venv
  quiet_pip .venv/bin/pip install -q --upgrade pip
  with_progress "pip install -e .[test]" var/log/setup-app.log .venv/bin/pip install -e ".[test]"
  # oscrypto 1.3.0 (PyPI's latest) cannot read OpenSSL 3.0.10+'s version and fails at import; the Alexa SDK's
  # request verifier needs it through certvalidator. vendor/ holds a wheel of upstream master (the fix, unreleased).
  quiet_pip .venv/bin/pip install -q --no-deps --force-reinstall vendor/oscrypto-*.whl
  echo "$APP_STAMP" > .venv/.stamp
else
  step "App environment (.venv) is up to date"
fi

RASA_STAMP=$(stamp_of nlu/requirements-rasa.txt)
if [ "$(cat .venv-rasa/.stamp 2>/dev/null)" != "$RASA_STAMP" ]; then
  step "Installing Rasa 3.6 (.venv-rasa, $("$PY310" --version)) — about 3 minutes, 2.7 GB"
  [ -x .venv-rasa/bin/python ] || "$PY310" -m venv .venv-rasa
  quiet_pip .venv-rasa/bin/pip install -q --upgrade pip
  with_progress "pip install rasa" var/log/setup-rasa.log .venv-rasa/bin/pip install -r nlu/requirements-rasa.txt
  echo "$RASA_STAMP" > .venv-rasa/.stamp
else
  step "Rasa environment (.venv-rasa) is up to date"
fi

# The progress chart (bot/chart.py) draws Japanese labels only with a font that has Japanese glyphs;
# without one it falls back to English labels. IPA Gothic: 3.5 MB (fonts-noto-cjk would be 57 MB).
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=ja 2>/dev/null)" ] && command -v apt-get >/dev/null 2>&1; then
  step "Installing a Japanese font for the progress chart (fonts-ipafont-gothic, 3.5 MB)"; mkdir -p var/log
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  if ! { $SUDO apt-get install -y -q fonts-ipafont-gothic >var/log/setup-font.log 2>&1 \
         || { $SUDO apt-get update -q >>var/log/setup-font.log 2>&1 \
              && $SUDO apt-get install -y -q fonts-ipafont-gothic >>var/log/setup-font.log 2>&1; }; }; then
    echo "    no Japanese font installed (see var/log/setup-font.log): charts will have English labels"
  fi
fi

WANT_PG=0; WANT_CARD=0; WANT_REDIS=0
for arg in "$@"; do
  case "$arg" in
    --postgresql) WANT_PG=1 ;;
    --redis) WANT_REDIS=1 ;;
    --card) WANT_CARD=1 ;;
  esac
done

# Spoken answers as Telegram voice notes (bot/speech.py): eSpeak NG says English, opusenc (opus-tools) makes the
# OGG/Opus file (Japanese comes from pyopenjtalk-plus, a pip package). Installed for the tests (--card, as make
# test runs) and whenever apt can run without a password; without them voice answers are skipped, text stays.
VOICE_NEED=""
for pkg in espeak-ng opus-tools; do dpkg -s "$pkg" >/dev/null 2>&1 || VOICE_NEED="$VOICE_NEED $pkg"; done
if [ -n "$VOICE_NEED" ] && { [ "$WANT_CARD" = 1 ] || [ "$(id -u)" -eq 0 ]; }; then
  step "Installing the voice tools:$VOICE_NEED"; mkdir -p var/log
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q $VOICE_NEED >var/log/setup-voice.log 2>&1 \
    || { $SUDO apt-get update -q >>var/log/setup-voice.log 2>&1 && $SUDO apt-get install -y -q $VOICE_NEED >>var/log/setup-voice.log 2>&1; } \
    || { tail -20 var/log/setup-voice.log >&2; echo "warning: could not install$VOICE_NEED: no voice answers" >&2; \
         if [ "$WANT_CARD" = 1 ]; then exit 1; fi; }
fi

# Scale mode (make serve-scaled, its tests and bench): Rasa's lock store is Redis, which the supervisor starts
# from Debian's redis-server (127.0.0.1, a password from var/redis-password, nothing written to disk).
if [ "$WANT_REDIS" = 1 ] && ! command -v redis-server >/dev/null 2>&1; then
  step "Installing Redis for scale mode (redis-server)"; mkdir -p var/log
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends redis-server >var/log/setup-redis.log 2>&1 \
    || { $SUDO apt-get update -q >>var/log/setup-redis.log 2>&1 \
         && $SUDO apt-get install -y -q --no-install-recommends redis-server >>var/log/setup-redis.log 2>&1; } \
    || { tail -20 var/log/setup-redis.log >&2; echo "error: could not install redis-server (var/log/setup-redis.log)" >&2; exit 1; }
fi

# The card bridge's tests through the real PC/SC stack (make test): pcscd, vsmartcard's virtual reader (vpcd),
# OpenSC (pkcs15-tool checks the emulated card against its JPKI driver), and pyscard, which builds from source
# against libpcsclite-dev with swig; Debian's chromium for the loopback page's browser test (Playwright drives it
# through executable_path: no browser download).
if [ "$WANT_CARD" = 1 ]; then
  NEED=""
  for pkg in pcscd vsmartcard-vpcd libpcsclite-dev swig opensc chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || NEED="$NEED $pkg"
  done
  if [ -n "$NEED" ]; then
    step "Installing the card reader stack:$NEED"; mkdir -p var/log
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -q $NEED >var/log/setup-card.log 2>&1 \
      || { $SUDO apt-get update -q >>var/log/setup-card.log 2>&1 && $SUDO apt-get install -y -q $NEED >>var/log/setup-card.log 2>&1; } \
      || { tail -20 var/log/setup-card.log >&2; echo "error: could not install$NEED (var/log/setup-card.log)" >&2; exit 1; }
  fi
  if ! .venv/bin/python -c "import smartcard" 2>/dev/null; then
    step "Installing pyscard into .venv (built against libpcsclite)"
    with_progress "pip install .[card]" var/log/setup-pyscard.log .venv/bin/pip install -e ".[test,card]"
  fi
fi

if [ "$WANT_PG" = 1 ]; then
  bash scripts/pg.sh setup
fi
