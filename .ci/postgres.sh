#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a unix socket in a temp dir, for the store's tests.
#   source .ci/postgres.sh && pg_start    (exports COMMISSIONING_TEST_PG; stop with pg_stop)
# Uses Debian's PostgreSQL (installed with apt-get when missing). The server never runs as root:
# as root it runs as the "postgres" account (created by Debian's package), else as "nobody".

pg_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v initdb)")" && return 0
  return 1
}

pg_start() {
  local bindir
  if ! bindir=$(pg_bindir); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing postgresql from Debian's packages..." >&2
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bindir=$(pg_bindir) || { echo "postgresql: no initdb after install" >&2; return 1; }
    else
      echo "postgresql: initdb not found and cannot apt-get here" >&2
      return 1
    fi
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/commissioning-pg.XXXXXX)
  chmod 755 "$PG_TEST_DIR"
  local run=()
  PG_TEST_OWNER=$(id -un)
  if [ "$(id -u)" = 0 ]; then
    PG_TEST_OWNER=$(id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody)
    chown "$PG_TEST_OWNER" "$PG_TEST_DIR"
    run=(runuser -u "$PG_TEST_OWNER" --)
  fi
  "${run[@]}" "$bindir/initdb" -D "$PG_TEST_DIR/data" -U commissioning -A trust -E UTF8 --no-locale >/dev/null
  "${run[@]}" "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w -t 60 \
    -o "-k $PG_TEST_DIR -h '' -c max_connections=200 -c fsync=on" start >/dev/null
  PG_TEST_BINDIR=$bindir
  export COMMISSIONING_TEST_PG="postgresql+psycopg://commissioning@/postgres?host=$PG_TEST_DIR"
  echo "postgresql test cluster: $COMMISSIONING_TEST_PG" >&2
}

pg_stop() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  local run=()
  [ "$(id -u)" = 0 ] && run=(runuser -u "$PG_TEST_OWNER" --)
  "${run[@]}" "$PG_TEST_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
  unset PG_TEST_DIR COMMISSIONING_TEST_PG PG_TEST_OWNER PG_TEST_BINDIR
}
