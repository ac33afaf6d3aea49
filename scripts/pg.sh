#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benches, kept under var/pg.
#
#   scripts/pg.sh setup          install PostgreSQL if missing (apt-get), create the cluster (initdb)
#   scripts/pg.sh start | stop | status | url
#   scripts/pg.sh restart        stop (fast: connections cut) and start again on the same port (a fault test)
#   scripts/pg.sh run -- CMD…    start the cluster if needed, run CMD with POINTSBOT_TEST_PG_URL set,
#                                then stop the cluster again if a `run` started it and no other
#                                `run` is still using it (so `make test` leaves no server behind)
#
# The server listens on 127.0.0.1 only (a free port, remembered in var/pg/port; no unix socket),
# with password authentication: user `pointsbot`, password generated once into var/pg/password (0600).
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (created by
# the package), or as a system user `pointsbot-pg` created here when there is no `postgres` user.
# If POINTSBOT_TEST_PG_URL is already set (a CI service container, your own server), `run` uses it
# and starts nothing. POINTSBOT_PG_BINDIR picks the PostgreSQL binaries when several are installed.
set -euo pipefail
CALLER_DIR=$PWD
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=$ROOT/var/pg
DB_USER=pointsbot

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "error: $*" >&2; exit 1; }

find_bindir() {  # the directory holding initdb, pg_ctl and postgres, newest major first
  local candidates=() d
  [ -n "${POINTSBOT_PG_BINDIR:-}" ] && candidates+=("$POINTSBOT_PG_BINDIR")
  while IFS= read -r d; do candidates+=("$d"); done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5nr)
  d=$(pg_config --bindir 2>/dev/null || true); [ -n "$d" ] && candidates+=("$d")
  d=$(command -v initdb 2>/dev/null || true); [ -n "$d" ] && candidates+=("$(dirname "$(readlink -f "$d")")")
  candidates+=(/usr/local/pgsql/bin /usr/pgsql-*/bin /opt/homebrew/bin /usr/local/bin /usr/bin)
  for d in "${candidates[@]}"; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done
  return 1
}

install_postgresql() {
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and this is not a Debian/Ubuntu machine: install it (server binaries initdb, pg_ctl, postgres) or set POINTSBOT_PG_BINDIR"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "PostgreSQL is not installed: run 'sudo apt-get install postgresql' as an administrator"
    sudo=(sudo)
    [ -t 0 ] || sudo+=(-n)
  fi
  step "Installing PostgreSQL with apt-get (package postgresql) — about 1 minute"
  mkdir -p "$ROOT/var/log"
  local log=$ROOT/var/log/setup-postgresql.log start=$SECONDS rc=0
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql
  } </dev/null >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    kill -0 "$pid" 2>/dev/null && echo "    apt-get: $((SECONDS - start))s, $(grep -c -e '^Get:' -e '^Setting up' "$log" 2>/dev/null || true) packages fetched or set up"
  done
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -20 "$log" >&2
    die "installing PostgreSQL failed (full log: $log)"
  fi
  echo "    installed in $((SECONDS - start))s"
}

# --- who runs the server, and where its files live
server_user() {
  if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
  if id postgres >/dev/null 2>&1; then echo postgres; return; fi
  if ! id pointsbot-pg >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pointsbot-pg
  fi
  echo pointsbot-pg
}

as_server() {  # run a command as the server's user, from / so its cwd is always readable
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u "$PG_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

cluster_home() {  # var/pg/cluster, or a directory under /tmp when the server's user cannot reach var/pg
  local home
  if [ -f "$STATE/home" ]; then
    home=$(cat "$STATE/home")
    if [ ! -d "$home" ]; then  # e.g. /tmp was cleaned
      mkdir -p "$home"; chmod 700 "$home"
      [ "$(id -u)" -eq 0 ] && chown "$PG_USER:" "$home"
    fi
    echo "$home"; return
  fi
  home=$STATE/cluster
  mkdir -p "$home"
  [ "$(id -u)" -eq 0 ] && chown "$PG_USER:" "$home"
  if ! as_server test -w "$home" 2>/dev/null; then
    rmdir "$home"
    home=${TMPDIR:-/tmp}/pointsbot-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)
    mkdir -p "$home"; chmod 700 "$home"
    [ "$(id -u)" -eq 0 ] && chown "$PG_USER:" "$home"
  fi
  echo "$home" > "$STATE/home"
  echo "$home"
}

prepare() {  # binaries, user and paths (installs PostgreSQL when missing)
  mkdir -p "$STATE"
  if ! BIN=$(find_bindir); then
    install_postgresql
    BIN=$(find_bindir) || die "PostgreSQL was installed but initdb/pg_ctl/postgres were not found; set POINTSBOT_PG_BINDIR"
  fi
  PG_USER=$(server_user)
  HOME_DIR=$(cluster_home)
  DATA=$HOME_DIR/data
  [ -s "$STATE/password" ] || (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$STATE/password")
}

version_of_binaries() { "$BIN/postgres" --version | awk '{print $3}'; }
major_of_binaries() { version_of_binaries | cut -d. -f1; }

init_cluster() {  # initdb once; again only if the binaries' major version changed
  if [ -f "$DATA/PG_VERSION" ] && [ "$(cat "$DATA/PG_VERSION")" = "$(major_of_binaries)" ]; then return; fi
  if [ -d "$DATA" ]; then
    step "PostgreSQL changed major version: recreating the test cluster"
    as_server "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$DATA"
  fi
  step "Creating the PostgreSQL $(version_of_binaries) test cluster in $DATA (initdb)"
  local pwfile=$HOME_DIR/.pwfile
  (umask 077; cp "$STATE/password" "$pwfile")
  [ "$(id -u)" -eq 0 ] && chown "$PG_USER:" "$pwfile"
  if ! as_server "$BIN/initdb" -D "$DATA" -U "$DB_USER" --pwfile="$pwfile" --auth=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$HOME_DIR/initdb.log" 2>&1 &&
     ! as_server "$BIN/initdb" -D "$DATA" -U "$DB_USER" --pwfile="$pwfile" --auth=scram-sha-256 \
        -E UTF8 --locale=C >"$HOME_DIR/initdb.log" 2>&1; then
    rm -f "$pwfile"; tail -20 "$HOME_DIR/initdb.log" >&2; die "initdb failed (log: $HOME_DIR/initdb.log)"
  fi
  rm -f "$pwfile"
  # loopback TCP only, no unix socket (its path could be too long); the port is given at start
  printf '%s\n' "listen_addresses = '127.0.0.1'" "unix_socket_directories = ''" \
    "max_connections = 100" >> "$DATA/postgresql.conf"
}

running() { as_server "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local py=python3
  [ -x "$ROOT/.venv/bin/python" ] && py=$ROOT/.venv/bin/python
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

running_port() { sed -n 4p "$DATA/postmaster.pid"; }

start() {
  prepare
  init_cluster
  if running; then return; fi
  local port
  port=$(cat "$STATE/port" 2>/dev/null || true)
  if [ -z "$port" ] || port_busy "$port"; then port=$(free_port); echo "$port" > "$STATE/port"; fi
  # 8>&- 9>&-: the server must not inherit (and so hold) the locks of `run`
  if ! as_server "$BIN/pg_ctl" -D "$DATA" -l "$HOME_DIR/postgres.log" -w -t 60 -o "-p $port" start >/dev/null 8>&- 9>&-; then
    tail -20 "$HOME_DIR/postgres.log" >&2 || true
    die "PostgreSQL did not start (log: $HOME_DIR/postgres.log)"
  fi
  echo "    PostgreSQL test cluster running on 127.0.0.1:$port"
}

stop() {
  prepare
  if running; then
    as_server "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    echo "    PostgreSQL test cluster stopped"
  fi
}

url() {
  running || die "the PostgreSQL test cluster is not running (scripts/pg.sh start)"
  echo "postgresql://$DB_USER:$(cat "$STATE/password")@127.0.0.1:$(running_port)/postgres"
}

run() {
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "usage: scripts/pg.sh run -- COMMAND…"
  if [ -n "${POINTSBOT_TEST_PG_URL:-}" ]; then cd "$CALLER_DIR"; exec "$@"; fi
  mkdir -p "$STATE"
  exec 8>"$STATE/users.lock"
  flock -s 8  # held while CMD runs: the last `run` to finish is the one that may stop the server
  (
    flock 9
    prepare
    if ! running; then start; touch "$STATE/started-by-run"; fi
  ) 9>"$STATE/start.lock"
  prepare
  POINTSBOT_TEST_PG_URL=$(url)
  export POINTSBOT_TEST_PG_URL
  trap finish EXIT
  trap 'exit 130' INT TERM
  cd "$CALLER_DIR"
  "$@"
}

finish() {
  local rc=$?
  (
    flock 9
    if [ -e "$STATE/started-by-run" ] && flock -xn 8; then stop; rm -f "$STATE/started-by-run"; fi
  ) 9>"$STATE/start.lock" || true
  exit "$rc"
}

case "${1:-}" in
  setup)
    if [ -n "${POINTSBOT_TEST_PG_URL:-}" ]; then step "PostgreSQL: using POINTSBOT_TEST_PG_URL"; exit 0; fi
    prepare
    init_cluster
    step "PostgreSQL $(major_of_binaries) test cluster is ready ($BIN, data in $DATA, run as $PG_USER)"
    ;;
  start) start ;;
  stop) stop ;;
  restart) prepare; running || die "the PostgreSQL test cluster is not running"
    as_server "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 restart >/dev/null 8>&- 9>&-
    echo "    PostgreSQL test cluster restarted on 127.0.0.1:$(running_port)" ;;
  status) prepare; if running; then echo "running on 127.0.0.1:$(running_port)"; else echo "stopped"; exit 3; fi ;;
  url) prepare; url ;;
  run) shift; run "$@" ;;
  *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
esac
