#!/usr/bin/env bash
# db.sh: the database part of `make run` and `make test`.
#   scripts/db.sh [DBNAME]
# Installs PostgreSQL + PostGIS through apt when missing, starts a cluster,
# creates role qamqor and database DBNAME (default qamqor) with the postgis and
# pg_trgm extensions, and runs the migrations. When DATABASE_URL (or, for the
# test database, TEST_DATABASE_URL) is set, it only migrates that database.
# Safe to run again: it reuses what exists and loses nothing.
set -euo pipefail

DBNAME=${1:-qamqor}
ROLE=qamqor
PASS=qamqor
here=$(cd "$(dirname "$0")/.." && pwd)

log() { printf '[db] %s\n' "$*" >&2; }

if [ "$DBNAME" = qamqor_test ]; then
  URL=${TEST_DATABASE_URL:-}
else
  URL=${DATABASE_URL:-}
fi

sudo_cmd=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { log "need root or sudo to install/start PostgreSQL; or set DATABASE_URL"; exit 1; }
  sudo_cmd="sudo"
fi

as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    sudo -u postgres "$@"
  fi
}

pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }

install_pg() {
  local need=0
  command -v pg_ctlcluster >/dev/null || need=1
  local v; v=$(pg_major)
  # Both the extension's control file and its library must be there (a
  # half-removed package can leave one without the other).
  if [ -z "$v" ] || [ ! -f /usr/share/postgresql/"$v"/extension/postgis.control ] ||
     ! ls /usr/lib/postgresql/"$v"/lib/postgis-3*.so >/dev/null 2>&1; then need=1; fi
  if [ $need = 1 ]; then
    log "installing PostgreSQL and PostGIS with apt (first run only)"
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq
    $sudo_cmd apt-get install -y -qq postgresql postgresql-common >/dev/null
    v=$(pg_major)
    $sudo_cmd apt-get install -y -qq "postgresql-$v-postgis-3" >/dev/null
  fi
}

start_pg() {
  local v; v=$(pg_major)
  if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
    log "creating cluster $v/main"
    $sudo_cmd pg_createcluster "$v" main >/dev/null
  fi
  local cl; cl=$(pg_lsclusters -h | head -1)
  local ver name status
  ver=$(echo "$cl" | awk '{print $1}'); name=$(echo "$cl" | awk '{print $2}'); status=$(echo "$cl" | awk '{print $4}')
  if [ "$status" != online ]; then
    log "starting cluster $ver/$name"
    $sudo_cmd pg_ctlcluster "$ver" "$name" start
  fi
  for _ in $(seq 1 30); do
    as_postgres psql -qtAc 'SELECT 1' >/dev/null 2>&1 && return 0
    sleep 1
  done
  log "PostgreSQL did not come up"; exit 1
}

create_db() {
  as_postgres psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname='$ROLE'" | grep -q 1 ||
    as_postgres psql -qc "CREATE ROLE $ROLE LOGIN PASSWORD '$PASS' CREATEDB"
  as_postgres psql -qtAc "SELECT 1 FROM pg_database WHERE datname='$DBNAME'" | grep -q 1 ||
    as_postgres psql -qc "CREATE DATABASE $DBNAME OWNER $ROLE"
  as_postgres psql -q -d "$DBNAME" -c "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm;"
}

if [ -z "$URL" ]; then
  install_pg
  start_pg
  create_db
  URL="postgres://$ROLE:$PASS@localhost:5432/$DBNAME?sslmode=disable"
fi

cd "$here"
DATABASE_URL="$URL" go run ./cmd/qamqor migrate
