#!/usr/bin/env bash
# What `make demo` and `make test` need beyond Python, installed where this
# machine allows it (Debian, as root), else named in one line to run.
#   PostgreSQL server binaries, wal2json for each installed major, an
#   unprivileged OS user for the server when running as root, node and npm.
set -euo pipefail
pg_lib=${ZORA_PG_LIB_ROOT:-/usr/lib/postgresql}  # Debian's layout (a test points it elsewhere)

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
missing() {
  echo "zora-db needs $1: run \`$2\`, then make again" >&2
  exit 3
}

# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the throwaway clusters.
if ! ls "$pg_lib"/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if can_install; then
    apt_install postgresql-15 postgresql-client-15
  else
    missing "the PostgreSQL server binaries" "sudo apt-get install postgresql-15 postgresql-15-wal2json"
  fi
fi

# wal2json: the decoder Supabase Realtime reads, for the realtime engine's tests and verify.
for bindir in "$pg_lib"/*/bin; do
  [ -d "$bindir" ] || continue
  major=$(basename "$(dirname "$bindir")")
  if [ ! -e "$pg_lib/$major/lib/wal2json.so" ]; then
    if can_install; then
      apt_install "postgresql-$major-wal2json"
    else
      missing "wal2json for PostgreSQL $major" "sudo apt-get install postgresql-$major-wal2json"
    fi
  fi
done

# initdb refuses root; the server runs as this unprivileged user then.
if [ "$(id -u)" = 0 ] && ! id "${ZORA_PG_OS_USER:-postgres}" >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/postgresql --shell /bin/false "${ZORA_PG_OS_USER:-postgres}"
fi

# PostgREST (.zora/node) and the tests' supabase-js and TypeScript (.zora/test-node) come from npm, pinned.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if can_install; then
    apt_install nodejs npm
  else
    missing "node and npm" "sudo apt-get install nodejs npm"
  fi
fi
