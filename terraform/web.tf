# The web replicas: var.web_replicas containers of the app image (gunicorn + Django), behind nginx.
# Loaded by terraform in this folder; nginx.tf and monitoring.tf render their addresses.

locals {
  # Production settings, the same for the replicas and the migration container.
  django_env = {
    DJANGO_SETTINGS_MODULE = "config.settings.production"
    DJANGO_SECRET_KEY      = var.django_secret_key
    DJANGO_ALLOWED_HOSTS   = join(",", var.allowed_hosts)
    # nginx terminates TLS (nginx.tf) and tells the app (X-Forwarded-Proto): redirects and Secure cookies.
    DJANGO_CSRF_TRUSTED_ORIGINS = join(",", [for host in var.allowed_hosts : "https://${host}${local.https_public_port == 443 ? "" : ":${local.https_public_port}"}"])
    DJANGO_SECURE_SSL_REDIRECT  = "true"
    DJANGO_SECURE_COOKIES       = "true"
    DJANGO_SERVE_MEDIA          = "false"
    DATABASE_URL                = "postgres://${local.postgres_user}:${var.postgres_password}@postgres:${local.ports.postgres}/${local.postgres_db}"
    REDIS_URL                   = "redis://redis:${local.ports.redis}/0"
    DEPLOYMENT_ENVIRONMENT      = "terraform"
    IMAGE_MAX_BYTES             = tostring(local.image_max_bytes)
    LOG_FORMAT                  = "json"
    # nginx sets X-Real-IP (nginx/proxy.conf) for the app's per-client rate limits.
    RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
  }
  web_names = [for index in range(var.web_replicas) : "${var.project}-web-${index}"]
}

module "web" {
  source = "./modules/container"
  count  = var.web_replicas

  name = local.web_names[count.index]
  # The name resolves on the stack's networks; nginx and Prometheus address the replica by it.
  hostname = local.web_names[count.index]
  image    = local.image_ids.web
  env = merge(local.django_env, {
    GUNICORN_BIND               = "0.0.0.0:${local.ports.web}"
    WEB_CONCURRENCY             = tostring(var.web_concurrency)
    GUNICORN_THREADS            = "2"
    SERVICE_INSTANCE_ID         = "web-${count.index}"
    PROMETHEUS_MULTIPROC_DIR    = "/tmp/prometheus-multiproc"
    METRICS_TOKEN               = var.metrics_token
    OTEL_EXPORTER_OTLP_ENDPOINT = "http://otel-collector:${local.ports.otelcol_otlp_http}"
    OTEL_SERVICE_NAME           = "tweetstack-web"
    OTEL_BSP_SCHEDULE_DELAY     = "1000"
    SENTRY_DSN                  = var.sentry_dsn
    # Written by the backup container, exported on /metrics (backup_last_success_timestamp_seconds).
    BACKUP_STATUS_FILE = local.backup_status_file
  })

  networks_advanced = [{ name = docker_network.front.id }, { name = docker_network.back.id }]
  volumes = [
    { volume_name = docker_volume.data["media"].name, container_path = "/srv/media" },
    { volume_name = docker_volume.data["backup-status"].name, container_path = dirname(local.backup_status_file), read_only = true },
  ]
  # A read-only root with a tmpfs /tmp (the multiprocess metrics' folder): the module's defaults.

  healthcheck = {
    test         = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${local.ports.web}/healthz', timeout=2)"]
    start_period = "30s"
  }
  wait_timeout = 120
  # gunicorn finishes requests in flight within its graceful timeout (20 s) on SIGTERM.
  stop_timeout = 30
  memory       = 768

  depends_on = [module.migrate, module.redis, module.otelcol]
}
