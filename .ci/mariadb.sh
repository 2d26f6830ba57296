#!/usr/bin/env bash
# CI: MariaDB's client library for the build (the `mysql` features link it), and the local
# MariaDB server running with its `test` database and a root that logs in over TCP without a
# password (how these machines come; a fresh one may have it stopped).
#
# Idempotent; run it as root (CI does). Called by .ci/run as `bash .ci/mariadb.sh`.
(
set -euo pipefail

log() { echo "== mariadb: $*"; }
die() { echo "mariadb: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, starting the server)"

installed() { dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'; }
missing=()
for pkg in libmariadb-dev mariadb-server mariadb-client; do
    installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get install -y -q "${missing[@]}" >/dev/null \
        || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

reachable() { mysql -h127.0.0.1 -P3306 -uroot -e 'SELECT 1' >/dev/null 2>&1; }
if ! reachable; then
    log "starting the server"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    for _ in $(seq 1 60); do
        reachable && break
        sleep 1
    done
fi
reachable || die "MariaDB is not reachable on 127.0.0.1:3306 as root without a password"
mysql -h127.0.0.1 -P3306 -uroot -e 'CREATE DATABASE IF NOT EXISTS test'
log "ready: $(mysql -h127.0.0.1 -P3306 -uroot -N -e 'SELECT VERSION()')"
)
