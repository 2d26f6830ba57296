#!/usr/bin/env bash
# CI: MariaDB's client library for the build (the `mysql` features link it), and the local
# MariaDB server running with a `test` database that root reaches over TCP without a password
# (how these machines come; a fresh machine may have the server stopped, not installed, or
# root allowed over the socket only).
#
# Idempotent; run it as root (CI does). Called by .ci/run as `bash .ci/mariadb.sh`.
(
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

log() { echo "== mariadb: $*"; }
die() { echo "mariadb: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, starting the server)"

installed() { dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'; }
missing=()
for pkg in libmariadb-dev pkg-config mariadb-server mariadb-client; do
    installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null \
        || { apt-get update -q >/dev/null \
            && apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >/dev/null; }
fi

# Alive is asked over the socket, where root always gets in.
alive() { mariadb-admin --protocol=socket -uroot ping >/dev/null 2>&1; }
if ! alive; then
    log "starting the server"
    [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql >/dev/null
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    for _ in $(seq 1 60); do
        alive && break
        pgrep -x mariadbd >/dev/null || die "mariadbd exited; see its error log"
        sleep 1
    done
fi
alive || die "MariaDB did not come up"

sql() { mariadb --protocol=socket -uroot -e "$1"; }
tcp() { mariadb -h127.0.0.1 -P3306 -uroot -e 'SELECT 1' >/dev/null 2>&1; }
if ! tcp; then
    log "letting root in over TCP from 127.0.0.1 without a password (CI only)"
    sql "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; \
         GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;"
fi
tcp || die "root cannot log in over TCP on 127.0.0.1:3306"
sql 'CREATE DATABASE IF NOT EXISTS test'
log "ready: $(mariadb -h127.0.0.1 -P3306 -uroot -N -e 'SELECT VERSION()')"
)
