#!/bin/bash
# The official image's first-start contract, as far as our files use it: an empty PGDATA is
# initialised with POSTGRES_USER (default postgres) and POSTGRES_PASSWORD, POSTGRES_DB is created,
# and the server listens on every address with scram logins.
set -euo pipefail
if [[ ${1:-} == postgres && ! -s $PGDATA/PG_VERSION ]]; then
	: "${POSTGRES_PASSWORD:?the stand-in, like the image, needs POSTGRES_PASSWORD}"
	user=${POSTGRES_USER:-postgres}
	initdb --encoding=UTF8 --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") --auth-local=trust \
		--auth-host=scram-sha-256 -D "$PGDATA" >/dev/null
	printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
	printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.auto.conf"
	pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
	db=${POSTGRES_DB:-$user}
	if [[ $db != postgres ]]; then
		psql -v ON_ERROR_STOP=1 --username "$user" --dbname postgres -c "CREATE DATABASE \"$db\"" >/dev/null
	fi
	pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$@"
