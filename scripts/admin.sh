#!/usr/bin/env bash
# API keys of the gateway, straight in its PostgreSQL database (the gateway need not run, but must have started
# once: its Flyway migration creates the tables).
#
#   scripts/admin.sh create-key --tenant NAME   prints the new key alone on stdout (shown once, stored hashed);
#                                               creates the tenant if it is new
#   scripts/admin.sh list-keys [--tenant NAME]  id, tenant, first characters, created, revoked
#   scripts/admin.sh revoke-key KEY_ID          the key stops working at once (KEY_ID as list-keys shows it)
#
# The database is the gateway's: QUARKUS_DATASOURCE_JDBC_URL (default
# jdbc:postgresql://127.0.0.1:5432/tooltune_gateway), QUARKUS_DATASOURCE_USERNAME (postgres),
# QUARKUS_DATASOURCE_PASSWORD (empty). Needs psql, openssl (or /dev/urandom + base64) and sha256sum.
#
# A key is "tt-" and 256 random bits in base64url; the database keeps its SHA-256 (hex), exactly as
# dev.tooltune.gateway.tenancy.ApiKeys computes it.
set -euo pipefail

fail() { echo "admin.sh: error: $*" >&2; exit 1; }

url="${QUARKUS_DATASOURCE_JDBC_URL:-jdbc:postgresql://127.0.0.1:5432/tooltune_gateway}"
[[ "$url" =~ ^jdbc:postgresql://([^:/?]+)(:([0-9]+))?/([^?]+) ]] || fail "cannot read QUARKUS_DATASOURCE_JDBC_URL=$url"
export PGHOST="${BASH_REMATCH[1]}" PGPORT="${BASH_REMATCH[3]:-5432}" PGDATABASE="${BASH_REMATCH[4]}"
export PGUSER="${QUARKUS_DATASOURCE_USERNAME:-postgres}" PGPASSWORD="${QUARKUS_DATASOURCE_PASSWORD:-}"

sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

check_schema() {
  sql -tAc "select 1 from information_schema.tables where table_name = 'api_key'" 2>/dev/null | grep -q 1 \
    || fail "no gateway tables in database $PGDATABASE at $PGHOST:$PGPORT: start the gateway once (it creates them)"
}

create_key() {
  local tenant=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --tenant) tenant="${2:-}"; shift 2 ;;
      --tenant=*) tenant="${1#--tenant=}"; shift ;;
      *) fail "create-key: unknown argument $1 (use --tenant NAME)" ;;
    esac
  done
  [[ "$tenant" =~ ^[A-Za-z0-9._-]{1,128}$ ]] \
    || fail "create-key: --tenant must be 1 to 128 letters, digits, '.', '_' or '-' (was '$tenant')"
  check_schema
  local key id hash
  key="tt-$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  id="key_$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  hash="$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)"
  sql -v tenant="$tenant" -v id="$id" -v hash="$hash" -v prefix="${key:0:10}" <<'SQL'
begin;
insert into tenant (id) values (:'tenant') on conflict (id) do nothing;
insert into api_key (id, tenant_id, key_hash, key_prefix) values (:'id', :'tenant', :'hash', :'prefix');
commit;
SQL
  echo "admin.sh: created $id for tenant $tenant; the key is shown only now" >&2
  echo "$key"
}

list_keys() {
  local tenant=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --tenant) tenant="${2:-}"; shift 2 ;;
      --tenant=*) tenant="${1#--tenant=}"; shift ;;
      *) fail "list-keys: unknown argument $1" ;;
    esac
  done
  check_schema
  sql -v tenant="$tenant" <<'SQL'
select id, tenant_id as tenant, key_prefix || '...' as key, created_at as created, revoked_at as revoked
from api_key where :'tenant' = '' or tenant_id = :'tenant' order by tenant_id, created_at;
SQL
}

revoke_key() {
  local id="${1:-}"
  [[ -n "$id" ]] || fail "revoke-key: give the key's id (see list-keys)"
  check_schema
  local changed
  changed="$(sql -tA -v id="$id" <<'SQL'
with revoked as (update api_key set revoked_at = now() where id = :'id' and revoked_at is null returning 1)
select count(*) from revoked;
SQL
)"
  [[ "$changed" == "1" ]] || fail "revoke-key: no live key with id $id"
  echo "revoked $id"
}

case "${1:-}" in
  create-key) shift; create_key "$@" ;;
  list-keys) shift; list_keys "$@" ;;
  revoke-key) shift; revoke_key "$@" ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
