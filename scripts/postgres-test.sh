#!/bin/bash
# Runs a command against a throw-away PostgreSQL + pgvector server:
#   scripts/postgres-test.sh COMMAND [ARGS...]
# 1. installs postgresql-15 and postgresql-server-dev-15 (Debian 12) when missing;
# 2. builds and installs pgvector from Debian's trixie source package when the extension is missing
#    (Debian 12 has no pgvector binary; the source builds against server-dev-15 in under a minute);
# 3. starts a cluster in a temporary directory on a free localhost port, as an unprivileged user when run as root;
# 4. runs COMMAND with FACESEARCH_TEST_PG_URL (and PG* variables) pointing at it, then stops and deletes the cluster.
# Idempotent and quiet when everything is installed. Exit status is COMMAND's.
set -euo pipefail

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libpq-dev dpkg-dev; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

sharedir=$("$PG_BIN/pg_config" --sharedir)
if [ ! -f "$sharedir/extension/vector.control" ]; then
  echo "building pgvector from Debian's trixie source package"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # A private apt configuration: the machine's sources stay as they are, only this download sees trixie's deb-src.
  mkdir -p "$work/lists/partial" "$work/parts"
  cat >"$work/sources.list" <<EOF
deb-src [signed-by=/usr/share/keyrings/debian-archive-trixie-stable.gpg] http://deb.debian.org/debian trixie main
EOF
  apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/parts"
            -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
  apt-get "${apt_opts[@]}" update -qq
  (cd "$work" && apt-get "${apt_opts[@]}" source --download-only -qq pgvector >/dev/null)
  dsc=$(ls "$work"/pgvector_*.dsc | head -1)
  (cd "$work" && dpkg-source --no-check -x "$dsc" src >/dev/null)
  make -s -C "$work/src" PG_CONFIG="$PG_BIN/pg_config" -j2 >/dev/null
  $SUDO make -s -C "$work/src" PG_CONFIG="$PG_BIN/pg_config" install >/dev/null
  rm -rf "$work"
  trap - EXIT
fi

[ $# -gt 0 ] || exit 0

# The server refuses to run as root: own the cluster by the invoking user, or by "postgres" when that is root.
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  run_as=(runuser -u postgres --)
fi
cluster=$(mktemp -d /tmp/facesearch-pg.XXXXXX)
chmod 755 "$cluster"
[ ${#run_as[@]} -gt 0 ] && chown postgres "$cluster"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$cluster/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$cluster"
}
trap stop EXIT

"${run_as[@]}" "$PG_BIN/initdb" -D "$cluster/data" -U facesearch --auth=trust -E UTF8 --locale=C >/dev/null
# Throw-away data: no fsync. Enough connections for parallel indexers and searchers in the tests.
# FACESEARCH_PG_OPTIONS adds or overrides server settings (benchmarks: "-c fsync=on -c synchronous_commit=on").
"${run_as[@]}" "$PG_BIN/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -s \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $cluster -c fsync=off -c synchronous_commit=off \
      -c full_page_writes=off -c max_connections=60 -c shared_buffers=256MB -c maintenance_work_mem=512MB \
      ${FACESEARCH_PG_OPTIONS:-}" start \
  || { cat "$cluster/server.log" >&2; exit 1; }
"${run_as[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U facesearch facesearch

export FACESEARCH_TEST_PG_URL="postgresql://facesearch@127.0.0.1:$port/facesearch"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=facesearch PGDATABASE=facesearch
set +e
"$@"
status=$?
set -e
exit $status
