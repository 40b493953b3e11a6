# The tweet stack on one Docker host: shared settings, networks, volumes and images.
# Loaded by terraform in this folder; services live in data.tf, web.tf, nginx.tf, monitoring.tf.

locals {
  repo = abspath("${path.module}/..")

  # Image tags are pinned once, in versions.env (Compose reads the same file).
  pinned_images = {
    for line in split("\n", file("${local.repo}/versions.env")) :
    trimspace(split("=", line)[0]) => trimspace(split("=", line)[1])
    if can(regex("^[A-Z0-9_]+_IMAGE=", line))
  }
  images = merge(local.pinned_images, var.image_overrides)

  # The port each container listens on inside the stack's networks (the web image's GUNICORN_BIND).
  ports = {
    web                 = 8000
    nginx               = 8080
    nginx_status        = 8081
    postgres            = 5432
    redis               = 6379
    otelcol_otlp_grpc   = 4317
    otelcol_otlp_http   = 4318
    otelcol_metrics     = 8888
    otelcol_spanmetrics = 8889
    otelcol_health      = 13133
    otelcol_zpages      = 55679
    jaeger_otlp_grpc    = 4317
    jaeger_ui           = 16686
    jaeger_grpc         = 16685
    jaeger_health       = 13133
    jaeger_metrics      = 8888
    prometheus          = 9090
    alertmanager        = 9093
    loki                = 3100
    grafana             = 3000
    postgres_exporter   = 9187
    redis_exporter      = 9121
    nginx_exporter      = 9113
    mtail               = 3903
    node_exporter       = 9100
  }

  # Alertmanager's one config file: the routes, then the receivers var.alerting picks (the native stack
  # and Compose join the same two files).
  alertmanager_receivers = var.alerting == "production" ? "receivers.production.yml" : "receivers.yml"
  alertmanager_config = join("", [
    file("${local.repo}/monitoring/alertmanager/alertmanager.yml"),
    file("${local.repo}/monitoring/alertmanager/${local.alertmanager_receivers}"),
  ])
  # The credential files receivers.production.yml reads, by name.
  alert_secret_names = toset(regexall("/etc/alertmanager/secrets/(\\w+)",
  file("${local.repo}/monitoring/alertmanager/receivers.production.yml"))[*][0])

  # nginx accepts the image plus 64 KiB for the rest of the form (stack/render.py's FORM_OVERHEAD_BYTES).
  client_max_body_size = var.image_max_bytes + 65536

  postgres_user = "tweetstack"
  postgres_db   = "tweetstack"

  log_opts = {
    "max-size" = "10m"
    "max-file" = "3"
  }
}

resource "docker_network" "front" {
  name = "${var.project}-front"
}

# No route out: PostgreSQL, Redis and the monitoring reach only each other.
resource "docker_network" "back" {
  name     = "${var.project}-back"
  internal = true
}

# Grafana's published port and its way out.
resource "docker_network" "ops" {
  name = "${var.project}-ops"
}

resource "docker_volume" "data" {
  for_each = toset(["pgdata", "media", "backups", "backup-status", "otel-logs", "nginx-logs", "prometheus-data", "alertmanager-data", "grafana-data", "loki-data"])
  name     = "${var.project}-${each.key}"
}

# --- images built from this repository, rebuilt when their inputs change.
resource "docker_image" "web" {
  name         = "${var.project}-web:terraform"
  keep_locally = true
  build {
    context    = local.repo
    target     = "web"
    build_args = { PYTHON_IMAGE = local.images.PYTHON_IMAGE, NGINX_IMAGE = local.images.NGINX_IMAGE }
  }
  triggers = { inputs = local.web_inputs_sha }
}

resource "docker_image" "nginx" {
  name         = "${var.project}-nginx:terraform"
  keep_locally = true
  build {
    context    = local.repo
    target     = "nginx"
    build_args = { PYTHON_IMAGE = local.images.PYTHON_IMAGE, NGINX_IMAGE = local.images.NGINX_IMAGE }
  }
  triggers = { inputs = local.web_inputs_sha }
}

# The app image plus PostgreSQL's client of the server's major version (the Dockerfile's backup stage).
resource "docker_image" "backup" {
  name         = "${var.project}-backup:terraform"
  keep_locally = true
  build {
    context = local.repo
    target  = "backup"
    build_args = merge(var.backup_build_args, {
      PYTHON_IMAGE   = local.images.PYTHON_IMAGE
      NGINX_IMAGE    = local.images.NGINX_IMAGE
      POSTGRES_IMAGE = local.images.POSTGRES_IMAGE
    })
  }
  triggers = { inputs = local.web_inputs_sha }
}

resource "docker_image" "otelcol" {
  name         = "${var.project}-otelcol:terraform"
  keep_locally = true
  build {
    context    = "${local.repo}/monitoring/otel-collector"
    build_args = { GO_IMAGE = local.images.GO_IMAGE, OTEL_RUNTIME_IMAGE = local.images.OTEL_RUNTIME_IMAGE }
  }
  triggers = { inputs = filesha1("${local.repo}/monitoring/otel-collector/builder-config.yaml") }
}

# mtail from Debian's package (the native stack's release); its program is uploaded (monitoring.tf).
resource "docker_image" "mtail" {
  name         = "${var.project}-mtail:terraform"
  keep_locally = true
  build {
    context    = "${local.repo}/monitoring/mtail"
    build_args = { PYTHON_IMAGE = local.images.PYTHON_IMAGE }
  }
  triggers = { inputs = filesha1("${local.repo}/monitoring/mtail/Dockerfile") }
}

# --- images run as published.
resource "docker_image" "pulled" {
  for_each = toset([
    "POSTGRES_IMAGE", "REDIS_IMAGE", "PROMETHEUS_IMAGE", "ALERTMANAGER_IMAGE", "JAEGER_IMAGE", "GRAFANA_IMAGE", "LOKI_IMAGE",
    "POSTGRES_EXPORTER_IMAGE", "REDIS_EXPORTER_IMAGE", "NGINX_EXPORTER_IMAGE", "NODE_EXPORTER_IMAGE",
  ])
  name         = local.images[each.key]
  keep_locally = true
}

locals {
  web_inputs_sha = sha1(join("", concat(
    [filesha1("${local.repo}/Dockerfile"), filesha1("${local.repo}/pyproject.toml")],
    [for f in sort(fileset(local.repo, "app/**")) : filesha1("${local.repo}/${f}") if !strcontains(f, "__pycache__")],
  )))
}
