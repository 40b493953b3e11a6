#!/bin/bash
# Restores the Compose deployment's PostgreSQL from pgBackRest's repository: to the end of the archived
# WAL (no argument), or to a moment (point-in-time recovery), e.g.
#   make compose-restore TIME="2026-12-02 10:15:00+00"
#   # = COMPOSE="docker compose ... -f docker-compose.yml -f docker-compose.prod.yml" scripts/compose-restore.sh "2026-12-02 10:15:00+00"
# The app, the backup job and the exporter stop first (nothing writes while the data folder is
# replaced); pgBackRest restores in place (--delta: only the files that differ from the backup), the
# server replays the WAL up to the target and is promoted; Redis' cached timelines, which may hold
# tweets written after the target, are emptied (PostgreSQL is the source of truth, the app rebuilds
# them); then everything starts again. An earlier moment than the newest backup needs that backup's
# set: SET=<label of `pgbackrest info`>.
set -euo pipefail
: "${COMPOSE:?set COMPOSE to the docker compose command of the deployment (deploy.mk does)}"
target=${1:-}
compose() { $COMPOSE "$@"; }

writers=(web backup checklist postgres-exporter)
options=(--delta)
if [[ -n ${SET:-} ]]; then options+=("--set=$SET"); fi
if [[ -n $target ]]; then options+=(--type=time "--target=$target" --target-action=promote); fi

# What the server has written but not yet archived (up to archive_timeout) goes into the repository
# first: `pgbackrest check` switches the WAL segment and waits until it is archived. A server that is
# already down (a lost disk) has nothing more to give: the restore reaches the last archived segment.
compose exec -T backup pgbackrest check || echo "could not archive the current WAL (is PostgreSQL down?): restoring what the repository has" >&2
compose stop "${writers[@]}" postgres
echo "restoring PostgreSQL (${options[*]})"
compose run --rm --no-deps -T --entrypoint pgbackrest postgres restore "${options[@]}"
compose up -d --wait --no-recreate postgres
# pg_isready answers while recovery still replays (read-only): the writers wait for the promotion.
for _ in $(seq 600); do
	state=$(compose exec -T postgres sh -c 'psql -U "$POSTGRES_USER" -d postgres -tAc "SELECT pg_is_in_recovery()"' || true)
	[[ $state == f ]] && break
	sleep 0.5
done
[[ $state == f ]] || { echo "PostgreSQL still recovering after 300 s" >&2; exit 1; }
compose exec -T redis sh -c 'redis-cli -p "$REDIS_PORT" FLUSHALL' >/dev/null
# Serving again once the replicas are healthy; the jobs' own health checks run on their schedule.
compose up -d --no-recreate backup checklist postgres-exporter
compose up -d --wait --no-recreate web
echo "restored and serving again in ${SECONDS} s"
