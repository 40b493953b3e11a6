#!/bin/bash
# Restores the Terraform deployment's PostgreSQL from pgBackRest's repository: to the end of the
# archived WAL (no argument), or to a moment (point-in-time recovery), e.g.
#   DOCKER_HOST=ssh://deploy@host scripts/terraform-restore.sh "2026-12-02 10:15:00+00"
# PROJECT is var.project (default tweetstack); SET=<label of `pgbackrest info`> for a moment older than
# the newest backup. The same steps as scripts/compose-restore.sh, with the containers terraform made:
# the WAL not yet archived goes into the repository, the writers and the server stop, pgBackRest
# restores in place (--delta) in a one-off container of the server's image, volumes and environment,
# the server replays to the target and is promoted, Redis' cached timelines are emptied, the rest starts.
set -euo pipefail
project=${PROJECT:-tweetstack}
target=${1:-}
server=$project-postgres
mapfile -t writers < <(docker ps -a --format '{{.Names}}' |
	grep -E "^$project-(web-[0-9]+|backup|checklist|postgres-exporter)$" || true)

options=(--delta)
if [[ -n ${SET:-} ]]; then options+=("--set=$SET"); fi
if [[ -n $target ]]; then options+=(--type=time "--target=$target" --target-action=promote); fi

docker exec "$project-backup" pgbackrest check ||
	echo "could not archive the current WAL (is PostgreSQL down?): restoring what the repository has" >&2
docker stop "${writers[@]}" "$server" >/dev/null
# The server container's own environment (pgBackRest's options among it), one variable a line.
environment=$(mktemp)
trap 'rm -f "$environment"' EXIT
docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$server" >"$environment"
echo "restoring PostgreSQL (${options[*]})"
docker run --rm --volumes-from "$server" --env-file "$environment" --network none \
	--entrypoint pgbackrest "$(docker inspect --format '{{.Image}}' "$server")" restore "${options[@]}"
docker start "$server" >/dev/null
# Recovery replays (read-only, pg_isready already answers) until the promotion; the writers wait for it.
state=""
for _ in $(seq 600); do
	state=$(docker exec "$server" sh -c 'psql -U "$POSTGRES_USER" -d postgres -tAc "SELECT pg_is_in_recovery()"' 2>/dev/null || true)
	[[ $state == f ]] && break
	sleep 0.5
done
[[ $state == f ]] || { echo "PostgreSQL still recovering after 300 s" >&2; exit 1; }
docker exec "$project-redis" redis-cli FLUSHALL >/dev/null
docker start "${writers[@]}" >/dev/null
echo "restored and serving again in ${SECONDS} s"
