# The tweet app's images: `web` (gunicorn + Django, static files collected at build) and `nginx`
# (the load balancer, carrying the same collected static files). Built by docker-compose.yml,
# docker-compose.prod.yml and terraform/ with the base images of versions.env, e.g.
#   docker build --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm --target web -t tweetstack-web .
# (`make image` passes every build argument from versions.env; the tags are pinned only there.)

ARG PYTHON_IMAGE
ARG NGINX_IMAGE
ARG POSTGRES_IMAGE

# --- wheels: the project and every dependency as wheels; nothing from here reaches the runtime but them.
# checkov:skip=CKV_DOCKER_7: the tag comes from versions.env, where tests/deploy checks it is pinned
FROM ${PYTHON_IMAGE} AS wheels
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml uv.lock ./
# Exactly uv.lock's versions, hash-checked: uv (at the release pyproject.toml requires) exports the
# app's dependencies, without the tool groups, for pip. `.` has no packages (pyproject: packages = []):
# its wheel carries only the version the app reports (importlib.metadata).
RUN uv_version="$(python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["tool"]["uv"]["required-version"].removeprefix("=="))')" \
    && pip install --no-cache-dir "uv==${uv_version}" \
    && uv export --locked --no-default-groups --no-emit-project --format requirements-txt --output-file requirements.txt \
    && pip wheel --require-hashes --wheel-dir /wheels --requirement requirements.txt \
    && pip wheel --no-deps --wheel-dir /wheels .

# --- web: the runtime, non-root, no compilers, no pip cache.
FROM ${PYTHON_IMAGE} AS web
# WEB_PORT of ports.env, a build argument (required): where gunicorn listens unless GUNICORN_BIND moves it.
ARG WEB_PORT
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    LOG_FORMAT=json \
    GUNICORN_BIND=0.0.0.0:${WEB_PORT} \
    DJANGO_STATIC_ROOT=/app/static \
    DJANGO_MEDIA_ROOT=/srv/media \
    TWEETSTACK_VAR_DIR=/tmp/tweetstack
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
WORKDIR /app
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-index /wheels/*.whl
# The code is root's and read-only to the app user; only the media folder is the app's to write.
COPY app/ /app/app/
# Production settings need a secret, database and hosts even to import; this one lives only for this
# RUN (it is in no layer) and nothing connects to the database.
RUN test -n "${WEB_PORT}" || { echo "build with --build-arg WEB_PORT (ports.env)" >&2; exit 1; }
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    DATABASE_URL=postgres://build@localhost/build \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    python app/manage.py collectstatic --noinput --verbosity 0 \
    && install -d -o app -g app -m 0755 /srv/media \
    && install -d -o app -g app -m 2775 /srv/status
# /srv/status is group app's to write: the backup job (user postgres, in group app) and the checklist
# (user app) both write its status file; the replicas only read it.
USER 10001:10001
EXPOSE ${WEB_PORT}
# Liveness only: the port comes from GUNICORN_BIND, so a deployment that moves it keeps a true check.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ['GUNICORN_BIND'].rsplit(':', 1)[1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)"]
# Probes reach a replica by its own address (Prometheus by IP, the healthcheck on loopback, Terraform's
# targets by hostname); those are added to the operator's DJANGO_ALLOWED_HOSTS, which stays required.
ENTRYPOINT ["/bin/sh", "-c", "DJANGO_ALLOWED_HOSTS=\"${DJANGO_ALLOWED_HOSTS:?set DJANGO_ALLOWED_HOSTS to the site's host names},127.0.0.1,localhost,$(hostname),$(hostname -I | tr -s ' ' ',')\" exec \"$@\"", "web"]
CMD ["gunicorn", "-c", "/app/app/gunicorn.conf.py"]

# --- backup: the app plus PostgreSQL and pgBackRest of the server's major version (taken from
# POSTGRES_IMAGE: pg_dump refuses a newer server), running `manage.py backup --every` on the schedule:
# pgBackRest full/incremental backups (BACKUP_METHOD=pgbackrest) into the repository the server archives
# its WAL to, the restore drill into a scratch server (pg_ctl), and pg_dump for the portable export.
# It runs as the server's user (postgres, 999 as in the official image) to read the data folder
# (0700) it mounts, with group app to write the status and backups folders.
FROM web AS backup
ARG POSTGRES_IMAGE
# Where the packages come from: PGDG by default (it carries every major, at its current minor, and
# pgBackRest). A build that cannot reach it may name another APT source carrying postgresql-<major>
# and pgbackrest (the tests, offline, give Debian 13's, whose PostgreSQL is 17) and an empty key URL;
# @CODENAME@ is replaced by the base's Debian release.
ARG POSTGRES_CLIENT_APT_SOURCE="deb [signed-by=/usr/share/keyrings/postgres-client.asc] https://apt.postgresql.org/pub/repos/apt @CODENAME@-pgdg main"
ARG POSTGRES_CLIENT_APT_KEY_URL=https://www.postgresql.org/media/keys/ACCC4CF8.asc
USER 0:0
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The server package for pg_ctl (the drill's scratch server), without the cluster Debian would create.
# hadolint ignore=DL3008
RUN major="${POSTGRES_IMAGE##*:}" && major="${major%%.*}" \
    && if [[ -n $POSTGRES_CLIENT_APT_KEY_URL ]]; then \
         python -c "import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], '/usr/share/keyrings/postgres-client.asc')" "$POSTGRES_CLIENT_APT_KEY_URL"; \
       fi \
    && . /etc/os-release \
    && echo "${POSTGRES_CLIENT_APT_SOURCE//@CODENAME@/$VERSION_CODENAME}" > /etc/apt/sources.list.d/postgres-client.list \
    && groupadd --system --gid 999 postgres \
    && useradd --system --uid 999 --gid postgres --groups app --home-dir /var/lib/postgresql --shell /bin/sh postgres \
    && install -d -m 0755 /etc/postgresql-common/createcluster.d \
    && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.d/tweetstack.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-${major}" pgbackrest \
    && rm -rf /var/lib/apt/lists/* \
    && pg_dump --version | grep -q " ${major}\." \
    && pgbackrest version \
    && install -d -o app -g app -m 2770 /backups \
    && install -d -o postgres -g postgres -m 0750 /var/lib/pgbackrest
# pgBackRest's shared settings (PGBACKREST_CONFIG points here; Compose also mounts the folder).
COPY postgres/ /etc/tweetstack/postgres/
# The server's user, with app as its primary group (Docker adds no supplementary group to a numeric user).
USER 999:10001
ENV BACKUP_DIR=/backups \
    BACKUP_STATUS_FILE=/srv/status/backup.json \
    BACKUP_INTERVAL_SECONDS=86400
# Healthy while the last successful backup is younger than the interval plus an hour.
HEALTHCHECK --interval=60s --timeout=5s --start-period=10m --retries=1 \
    CMD ["python", "-c", "import json, os, sys, time; s = json.load(open(os.environ['BACKUP_STATUS_FILE'])); sys.exit(time.time() - s['backup_last_success_timestamp_seconds'] > int(os.environ['BACKUP_INTERVAL_SECONDS']) + 3600)"]
# One backup at start, then one per interval; a failed one is logged and retried at the next.
CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do python /app/app/manage.py backup; sleep \"$BACKUP_INTERVAL_SECONDS\" & wait $!; done"]

# --- checklist: the production readiness checklist on a schedule (`python -m checklist --every`) beside
# the deployment it checks: the app image, whose manage.py runs the deployment's own checks, plus the
# checklist and the repository files it reads (the configs as deployed). Its results reach the
# replicas' /metrics through the status volume (tweetstack_checklist_item_status).
FROM web AS checklist
USER 0:0
COPY checklist/ /opt/tweetstack/checklist/
COPY stack/ /opt/tweetstack/stack/
COPY monitoring/ /opt/tweetstack/monitoring/
COPY nginx/ /opt/tweetstack/nginx/
COPY terraform/*.tf /opt/tweetstack/terraform/
COPY terraform/modules/ /opt/tweetstack/terraform/modules/
COPY docs/runbooks/ /opt/tweetstack/docs/runbooks/
COPY Dockerfile docker-compose.yml docker-compose.prod.yml ports.env /opt/tweetstack/
# The checklist reads app/ beside itself, as in a checkout: the image's own code.
RUN ln -s /app/app /opt/tweetstack/app
USER 10001:10001
WORKDIR /opt/tweetstack
# Healthy while its scheduled runs keep finishing (each notes its interval for the check).
HEALTHCHECK --interval=60s --timeout=10s --start-period=5m --retries=1 \
    CMD ["python", "-m", "checklist", "--healthcheck"]
CMD ["python", "-m", "checklist", "--every", "--manage", "python /app/app/manage.py"]

# --- nginx: the official image plus the collected static files, so they always match the app's.
FROM ${NGINX_IMAGE} AS nginx
COPY --from=web /app/static /srv/www/static
# Non-root (the image's nginx user): it listens on unprivileged ports and writes only run/ (pid and
# temporary files, see nginx/nginx.conf) and logs/ (the access log mtail reads, a volume in the
# runtimes); the configs, static files and media are read-only to it (mounted read-only).
# media/ belongs to the app's user (10001, the web stage's) as in the web image: an empty volume
# takes the owner of the mount point of the first container that mounts it, and when that was nginx
# with a root-owned folder, every upload failed with PermissionError until the volume was removed.
RUN install -d -o 10001 -g 10001 -m 0755 /srv/www/media \
    && install -d -o nginx -g nginx -m 0755 /srv/www/run /srv/www/logs
USER 101:101
# nginx.conf and the address files it includes are mounted at /etc/tweetstack/nginx by the runtime,
# which also probes the internal listener (its port is in the mounted listen-internal.conf).
CMD ["nginx", "-p", "/srv/www", "-c", "/etc/tweetstack/nginx/nginx.conf", "-g", "daemon off;"]
