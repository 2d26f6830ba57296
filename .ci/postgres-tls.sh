#!/usr/bin/env bash
# CI: system libraries for the build, and the local PostgreSQL cluster with TLS on.
#
# Idempotent; run it as root (CI does). It
#   1. installs libpq-dev, libsqlite3-dev, pkg-config and openssl when dpkg says one is missing,
#   2. makes a self-signed certificate (CN and subjectAltName 127.0.0.1, DNS:localhost) in the
#      cluster's config directory, unless a matching one valid for another 6 hours is already there,
#   3. turns TLS on in conf.d/99-ci-tls.conf (pg_hba.conf is left alone: trust on 127.0.0.1, so
#      plain and sslmode=require connections both work), starts the cluster, or restarts it when its
#      running settings or certificate are not these, and waits for 127.0.0.1:5432,
#   4. checks that a sslmode=require connection uses TLS and that a plain one still works.
# Called by .ci/run as `bash .ci/postgres-tls.sh`; it can be sourced too (it runs in a subshell).

(
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
PG_DB=test
PACKAGES=(libpq-dev libsqlite3-dev pkg-config openssl)

log() { echo "== postgres-tls: $*"; }
die() { echo "postgres-tls: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, pg_ctlcluster, files owned by postgres)"

# --- 1. packages -------------------------------------------------------------------------------
installed() { dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'; }
missing=()
for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
else
    log "packages already installed: ${PACKAGES[*]}"
fi

# --- which cluster -------------------------------------------------------------------------------
# The "main" cluster on port 5432 (pg_lsclusters reads conf.d too); else the newest "main" under
# /etc/postgresql. The version is never hard-coded.
version=""
for conf in /etc/postgresql/*/main/postgresql.conf; do
    [ -e "$conf" ] || continue
    v=$(basename "$(dirname "$(dirname "$conf")")")
    port=$(pg_lsclusters -h "$v" main 2>/dev/null | awk '{print $3}')
    if [ "$port" = "$PG_PORT" ]; then version=$v; fi
done
if [ -z "$version" ]; then
    version=$(find /etc/postgresql -mindepth 2 -maxdepth 2 -name main -printf '%h\n' 2>/dev/null \
        | xargs -r -n1 basename | sort -V | tail -n1)
fi
[ -n "$version" ] || die "no PostgreSQL cluster under /etc/postgresql/*/main"
conf_dir=/etc/postgresql/$version/main
log "cluster $version/main, config in $conf_dir"

# --- 2. certificate ------------------------------------------------------------------------------
crt=$conf_dir/ci-tls.crt
key=$conf_dir/ci-tls.key
changed=0

cert_ok() {
    [ -s "$crt" ] && [ -s "$key" ] || return 1
    openssl x509 -in "$crt" -noout -checkend 21600 >/dev/null 2>&1 || return 1
    openssl x509 -in "$crt" -noout -ext subjectAltName 2>/dev/null | grep -q 'IP Address:127.0.0.1' || return 1
    [ "$(openssl x509 -in "$crt" -noout -pubkey 2>/dev/null)" = \
      "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ] || return 1
}

if cert_ok; then
    log "certificate $crt still valid, kept"
else
    log "making a self-signed certificate in $conf_dir"
    tmp=$(mktemp -d "$conf_dir/.ci-tls.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
        -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$tmp/key" -out "$tmp/crt" 2>/dev/null
    chown postgres:postgres "$tmp/key" "$tmp/crt"
    chmod 0600 "$tmp/key"
    chmod 0644 "$tmp/crt"
    mv -f "$tmp/key" "$key"
    mv -f "$tmp/crt" "$crt"
    rm -rf "$tmp"
    trap - EXIT
    changed=1
fi
# Owner and mode, also for a kept pair (the server refuses a key readable by others).
chown postgres:postgres "$crt" "$key"
chmod 0600 "$key"
chmod 0644 "$crt"

# --- 3. configuration ----------------------------------------------------------------------------
mkdir -p "$conf_dir/conf.d"
grep -Eq "^[[:space:]]*include_dir[[:space:]]*=?[[:space:]]*'conf\.d'" "$conf_dir/postgresql.conf" \
    || die "$conf_dir/postgresql.conf does not include conf.d"
tls_conf=$conf_dir/conf.d/99-ci-tls.conf
wanted="# Written by .ci/postgres-tls.sh
ssl = on
ssl_cert_file = '$crt'
ssl_key_file = '$key'
"
if [ "$(cat "$tls_conf" 2>/dev/null)" != "$(printf '%s' "$wanted")" ]; then
    log "writing $tls_conf"
    printf '%s' "$wanted" >"$tls_conf"
    changed=1
else
    log "$tls_conf already in place"
fi
chown postgres:postgres "$tls_conf"
chmod 0644 "$tls_conf"

# --- start or restart ----------------------------------------------------------------------------
pgctl() { pg_ctlcluster --skip-systemctl-redirect "$version" main "$@"; }
running() { pgctl status >/dev/null 2>&1; }
# What the running server uses, e.g. "on|/etc/.../ci-tls.crt|/etc/.../ci-tls.key" (empty if unreachable).
live_settings() {
    PGCONNECT_TIMEOUT=5 psql "postgres://postgres@$PG_HOST:$PG_PORT/postgres?sslmode=disable" -XAtqc \
        "select current_setting('ssl') || '|' || current_setting('ssl_cert_file') || '|' || current_setting('ssl_key_file')" \
        2>/dev/null || true
}
wait_ready() {
    for _ in $(seq 1 60); do
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && return 0
        sleep 1
    done
    return 1
}

if ! running; then
    log "starting cluster $version/main"
    pgctl start
elif [ "$changed" -eq 1 ] || [ "$(live_settings)" != "on|$crt|$key" ]; then
    log "restarting cluster $version/main"
    pgctl restart
else
    log "cluster $version/main already running with these TLS settings"
fi
if ! wait_ready; then
    tail -n 30 "/var/log/postgresql/postgresql-$version-main.log" >&2 || true
    die "PostgreSQL did not come up on $PG_HOST:$PG_PORT"
fi
log "pg_isready: $(pg_isready -h "$PG_HOST" -p "$PG_PORT")"

live=$(live_settings)
[ "$live" = "on|$crt|$key" ] \
    || die "running server has ssl|cert|key = '$live', wanted 'on|$crt|$key' (overridden in postgresql.auto.conf?)"

# --- 4. checks -----------------------------------------------------------------------------------
tls=$(PGCONNECT_TIMEOUT=5 psql "postgres://postgres@$PG_HOST:$PG_PORT/$PG_DB?sslmode=require" -XAtc \
    "select ssl from pg_stat_ssl where pid = pg_backend_pid()")
[ "$tls" = t ] || die "sslmode=require connection: pg_stat_ssl.ssl = '$tls', wanted t"
log "sslmode=require connection: ssl = $tls ($(PGCONNECT_TIMEOUT=5 psql \
    "postgres://postgres@$PG_HOST:$PG_PORT/$PG_DB?sslmode=require" -XAtc \
    "select version || ' ' || cipher from pg_stat_ssl where pid = pg_backend_pid()"))"

plain=$(PGCONNECT_TIMEOUT=5 psql "postgres://postgres@$PG_HOST:$PG_PORT/$PG_DB?sslmode=disable" -XAtc \
    "select ssl from pg_stat_ssl where pid = pg_backend_pid()")
[ "$plain" = f ] || die "plain connection: pg_stat_ssl.ssl = '$plain', wanted f"
log "plain connection (sslmode=disable): ssl = $plain"
)
