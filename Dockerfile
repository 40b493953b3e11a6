# syntax=docker/dockerfile:1
# The tweet app's images: `web` (gunicorn + Django, static files collected at build) and `nginx`
# (the load balancer, carrying the same collected static files). Built by docker-compose.yml,
# docker-compose.prod.yml and terraform/ with the base images of versions.env, e.g.
#   docker build --build-arg PYTHON_IMAGE=python:3.11.14-slim-bookworm --target web -t tweetstack-web .
# (`make image` passes every build argument from versions.env; the tags are pinned only there.)

ARG PYTHON_IMAGE
ARG NGINX_IMAGE

# --- wheels: the project and every dependency as wheels; nothing from here reaches the runtime but them.
# checkov:skip=CKV_DOCKER_7: the tag comes from versions.env, where tests/deploy checks it is pinned
FROM ${PYTHON_IMAGE} AS wheels
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
# `.` has no packages (pyproject: packages = []): its wheel carries only the dependencies and the
# version the app reports (importlib.metadata).
RUN pip wheel --wheel-dir /wheels .

# --- web: the runtime, non-root, no compilers, no pip cache.
FROM ${PYTHON_IMAGE} AS web
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    LOG_FORMAT=json \
    GUNICORN_BIND=0.0.0.0:8000 \
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
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    DATABASE_URL=postgres://build@localhost/build \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    python app/manage.py collectstatic --noinput --verbosity 0 \
    && install -d -o app -g app -m 0755 /srv/media
USER 10001:10001
EXPOSE 8000
# Liveness only: the port comes from GUNICORN_BIND, so a deployment that moves it keeps a true check.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ['GUNICORN_BIND'].rsplit(':', 1)[1]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)"]
# Probes reach a replica by its own address (Prometheus by IP, the healthcheck on loopback, Terraform's
# targets by hostname); those are added to the operator's DJANGO_ALLOWED_HOSTS, which stays required.
ENTRYPOINT ["/bin/sh", "-c", "DJANGO_ALLOWED_HOSTS=\"${DJANGO_ALLOWED_HOSTS:?set DJANGO_ALLOWED_HOSTS to the site's host names},127.0.0.1,localhost,$(hostname),$(hostname -I | tr -s ' ' ',')\" exec \"$@\"", "web"]
CMD ["gunicorn", "-c", "/app/app/gunicorn.conf.py"]

# --- nginx: the official image plus the collected static files, so they always match the app's.
FROM ${NGINX_IMAGE} AS nginx
COPY --from=web /app/static /srv/www/static
# Non-root (the image's nginx user): it listens on unprivileged ports and writes only run/ (pid and
# temporary files, see nginx/nginx.conf); the configs, static files and media are read-only to it.
RUN install -d -m 0755 /srv/www/media \
    && install -d -o nginx -g nginx -m 0755 /srv/www/run
USER 101:101
# nginx.conf and the address files it includes are mounted at /etc/tweetstack/nginx by the runtime,
# which also probes the internal listener (its port is in the mounted listen-internal.conf).
CMD ["nginx", "-p", "/srv/www", "-c", "/etc/tweetstack/nginx/nginx.conf", "-g", "daemon off;"]
