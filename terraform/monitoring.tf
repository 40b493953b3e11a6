# The observability services: collector, Jaeger, Prometheus (file_sd targets rendered here),
# Alertmanager with its webhook receiver, Loki, Grafana and the exporters. The shared configs of
# monitoring/ are uploaded as they are; only addresses (environment, target files) are set here.

locals {
  # The hosts monitoring/otel-collector/config.yaml, loki.yaml and monitoring/jaeger/config.yaml read;
  # their ports are ports.env's, under its names.
  otel_env = merge(local.port_variables, {
    OTELCOL_LISTEN_HOST = "0.0.0.0"
    JAEGER_HOST         = "jaeger"
    OTELCOL_LOG_FILE    = "/var/lib/otelcol/logs/logs.jsonl"
    LOKI_HOST           = "loki"
  })
  jaeger_env = merge(local.port_variables, { JAEGER_LISTEN_HOST = "0.0.0.0" })

  # file_sd target lists, one per job of monitoring/prometheus/jobs.json (its service and port).
  prometheus_jobs = merge(
    # A probing job (tls) lists its exporter, labelled with the URL it probes (the probe's hostname).
    { for job, target in jsondecode(file("${local.repo}/monitoring/prometheus/jobs.json")) :
      job => [{
        targets = ["${target.service}:${local.port_variables[target.port]}"]
        labels = try(
          { __param_target = "https://${target.probe.service}:${local.port_variables[target.probe.port]}${target.probe.path}" },
          {},
        )
      }]
    },
    {
      web = [for index, web in module.web : {
        targets = ["${web.hostname}:${local.ports.web}"]
        labels  = { service_instance = "web-${index}" }
      }]
    },
  )
  prometheus_uploads = merge(
    { "prometheus.yml" = file("${local.repo}/monitoring/prometheus/prometheus.yml") },
    { for name in fileset("${local.repo}/monitoring/prometheus", "rules/*.yml") : name => file("${local.repo}/monitoring/prometheus/${name}") },
    { for job, groups in local.prometheus_jobs : "targets/${job}.json" => templatefile("${path.module}/templates/prometheus-targets.json.tftpl", { groups = groups }) },
  )

  # Grafana provisions itself from monitoring/grafana/ (datasources, dashboards), addresses from env.
  grafana_files = fileset("${local.repo}/monitoring/grafana", "**")
}

module "otelcol" {
  source   = "./modules/container"
  name     = "${var.project}-otel-collector"
  hostname = "otel-collector"
  image    = local.image_ids.otelcol
  env      = local.otel_env
  # The shared config plus the Loki overlay (logs to Loki as well as to the file sink).
  command = ["--config=/etc/otelcol/config.yaml", "--config=/etc/otelcol/loki.yaml"]
  uploads = {
    "/etc/otelcol/config.yaml" = file("${local.repo}/monitoring/otel-collector/config.yaml")
    "/etc/otelcol/loki.yaml"   = file("${local.repo}/monitoring/otel-collector/loki.yaml")
  }
  networks_advanced = [{ name = docker_network.back.id, aliases = ["otel-collector"] }]
  volumes           = [{ volume_name = docker_volume.data["otel-logs"].name, container_path = "/var/lib/otelcol/logs" }]
  healthcheck = {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.otelcol_health}/"]
    start_period = "20s"
  }
  memory       = 512
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
  depends_on   = [module.jaeger]
}

module "jaeger" {
  source   = "./modules/container"
  name     = "${var.project}-jaeger"
  hostname = "jaeger"
  # The official image (its UI included); the native stack builds the same release from monitoring/jaeger/go.mod.
  image             = docker_image.pulled["JAEGER_IMAGE"].image_id
  command           = ["--config=/etc/jaeger/config.yaml"]
  env               = local.jaeger_env
  uploads           = { "/etc/jaeger/config.yaml" = file("${local.repo}/monitoring/jaeger/config.yaml") }
  networks_advanced = [{ name = docker_network.back.id, aliases = ["jaeger"] }]
  healthcheck = {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.jaeger_health}/"]
    start_period = "20s"
  }
  memory       = 1024
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
}

module "prometheus" {
  source   = "./modules/container"
  name     = "${var.project}-prometheus"
  hostname = "prometheus"
  image    = docker_image.pulled["PROMETHEUS_IMAGE"].image_id
  command = [
    "--config.file=/etc/prometheus/prometheus.yml",
    "--storage.tsdb.path=/prometheus",
    "--storage.tsdb.retention.time=15d",
    "--web.listen-address=0.0.0.0:${local.ports.prometheus}",
    "--web.enable-lifecycle",
    # Exemplars (the trace_id on the latency histogram's buckets) are dropped without it.
    "--enable-feature=exemplar-storage",
  ]
  uploads = merge(
    { for name, content in local.prometheus_uploads : "/etc/prometheus/${name}" => content },
    { "/etc/prometheus/secrets/metrics-token" = var.metrics_token },
  )
  networks_advanced = [{ name = docker_network.back.id, aliases = ["prometheus"] }]
  volumes           = [{ volume_name = docker_volume.data["prometheus-data"].name, container_path = "/prometheus" }]
  healthcheck = {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.prometheus}/-/ready"]
    start_period = "20s"
  }
  memory       = 1024
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
}

module "alertmanager" {
  source   = "./modules/container"
  name     = "${var.project}-alertmanager"
  hostname = "alertmanager"
  image    = docker_image.pulled["ALERTMANAGER_IMAGE"].image_id
  command = [
    "--config.file=/etc/alertmanager/alertmanager.yml",
    "--storage.path=/alertmanager",
    "--web.listen-address=0.0.0.0:${local.ports.alertmanager}",
    "--cluster.listen-address=",
  ]
  uploads = merge(
    # Alertmanager reads one file: the routes, then the receivers var.alerting picks.
    { "/etc/alertmanager/alertmanager.yml" = local.alertmanager_config },
    # The production receivers' credentials, as the files receivers.production.yml names (var.alert_secrets
    # validates that every one is given).
    { for name in(var.alerting == "production" ? nonsensitive(keys(var.alert_secrets)) : []) : "/etc/alertmanager/secrets/${name}" => var.alert_secrets[name] },
  )
  networks_advanced = concat(
    [{ name = docker_network.back.id, aliases = ["alertmanager"] }],
    # Production receivers need a way out (PagerDuty, Slack, the mail relay): the back network has none.
    var.alerting == "production" ? [{ name = docker_network.ops.id }] : [],
  )
  volumes = [{ volume_name = docker_volume.data["alertmanager-data"].name, container_path = "/alertmanager" }]
  healthcheck = {
    test = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.alertmanager}/-/ready"]
  }
  memory       = 128
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
}

# receivers.yml posts to a webhook on Alertmanager's loopback: this receiver shares its network namespace.
module "alert_sink" {
  source       = "./modules/container"
  name         = "${var.project}-alert-sink"
  image        = local.image_ids.web
  entrypoint   = ["python", "/opt/stack/alert_sink.py", "--receivers", "/opt/stack/receivers.yml"]
  network_mode = "container:${module.alertmanager.id}"
  uploads = {
    "/opt/stack/alert_sink.py" = file("${local.repo}/stack/alert_sink.py")
    # The sink listens on the port of these receivers' webhook URLs.
    "/opt/stack/receivers.yml" = file("${local.repo}/monitoring/alertmanager/receivers.yml")
  }
  healthcheck = {
    test = ["CMD", "python", "/opt/stack/alert_sink.py", "--receivers", "/opt/stack/receivers.yml", "--check"]
  }
  memory       = 64
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
}

module "loki" {
  source   = "./modules/container"
  name     = "${var.project}-loki"
  hostname = "loki"
  image    = docker_image.pulled["LOKI_IMAGE"].image_id
  # The image's own single-process config (filesystem storage); OTLP logs arrive at /otlp.
  command           = ["-config.file=/etc/loki/local-config.yaml"]
  networks_advanced = [{ name = docker_network.back.id, aliases = ["loki"] }]
  volumes           = [{ volume_name = docker_volume.data["loki-data"].name, container_path = "/loki" }]
  healthcheck = {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.loki}/ready"]
    retries      = 5
    start_period = "30s"
  }
  memory       = 512
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
}

module "grafana" {
  source   = "./modules/container"
  name     = "${var.project}-grafana"
  hostname = "grafana"
  image    = docker_image.pulled["GRAFANA_IMAGE"].image_id
  env = {
    GF_PATHS_PROVISIONING          = "/etc/tweetstack/grafana/provisioning"
    GF_SECURITY_ADMIN_USER         = "admin"
    GF_SECURITY_ADMIN_PASSWORD     = var.grafana_admin_password
    GF_USERS_ALLOW_SIGN_UP         = "false"
    GF_ANALYTICS_REPORTING_ENABLED = "false"
    GF_ANALYTICS_CHECK_FOR_UPDATES = "false"
    GRAFANA_PROMETHEUS_URL         = "http://prometheus:${local.ports.prometheus}"
    GRAFANA_ALERTMANAGER_URL       = "http://alertmanager:${local.ports.alertmanager}"
    GRAFANA_JAEGER_URL             = "http://jaeger:${local.ports.jaeger_ui}"
    GRAFANA_LOKI_URL               = "http://loki:${local.ports.loki}"
  }
  uploads           = { for name in local.grafana_files : "/etc/tweetstack/grafana/${name}" => file("${local.repo}/monitoring/grafana/${name}") }
  ports             = [{ internal = local.ports.grafana, external = local.ports.grafana, ip = "127.0.0.1" }]
  networks_advanced = [{ name = docker_network.back.id }, { name = docker_network.ops.id }]
  volumes           = [{ volume_name = docker_volume.data["grafana-data"].name, container_path = "/var/lib/grafana" }]
  healthcheck = {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.grafana}/api/health"]
    retries      = 5
    start_period = "30s"
  }
  memory       = 256
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
  depends_on   = [module.prometheus, module.loki, module.jaeger]
}

module "postgres_exporter" {
  source   = "./modules/container"
  name     = "${var.project}-postgres-exporter"
  hostname = "postgres-exporter"
  image    = docker_image.pulled["POSTGRES_EXPORTER_IMAGE"].image_id
  env      = { DATA_SOURCE_NAME = "postgresql://${local.postgres_user}:${var.postgres_password}@postgres:${local.ports.postgres}/${local.postgres_db}?sslmode=disable" }
  # The extra query: WAL archiving (pg_stat_archiver), which the WalArchiving* alerts read.
  command           = ["--web.listen-address=:${local.ports.postgres_exporter}", "--extend.query-path=/etc/postgres-exporter/queries.yaml"]
  uploads           = { "/etc/postgres-exporter/queries.yaml" = file("${local.repo}/monitoring/postgres-exporter/queries.yaml") }
  networks_advanced = [{ name = docker_network.back.id, aliases = ["postgres-exporter"] }]
  healthcheck = {
    test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.postgres_exporter}/metrics"]
    interval = "15s"
    timeout  = "5s"
  }
  memory       = 64
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
  depends_on   = [module.postgres]
}

module "redis_exporter" {
  source            = "./modules/container"
  name              = "${var.project}-redis-exporter"
  hostname          = "redis-exporter"
  image             = docker_image.pulled["REDIS_EXPORTER_IMAGE"].image_id
  command           = ["-redis.addr=redis://redis:${local.ports.redis}", "-web.listen-address=:${local.ports.redis_exporter}"]
  networks_advanced = [{ name = docker_network.back.id, aliases = ["redis-exporter"] }]
  healthcheck = {
    test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.redis_exporter}/health"]
    interval = "15s"
  }
  memory       = 64
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
  depends_on   = [module.redis]
}

module "nginx_exporter" {
  source            = "./modules/container"
  name              = "${var.project}-nginx-exporter"
  hostname          = "nginx-exporter"
  image             = docker_image.pulled["NGINX_EXPORTER_IMAGE"].image_id
  command           = ["--nginx.scrape-uri=http://nginx:${local.ports.nginx_status}/stub_status", "--web.listen-address=:${local.ports.nginx_exporter}"]
  networks_advanced = [{ name = docker_network.back.id, aliases = ["nginx-exporter"] }]
  # The image has no shell or HTTP client: the check is that the binary answers.
  healthcheck = {
    test     = ["CMD", "/usr/bin/nginx-prometheus-exporter", "--version"]
    interval = "30s"
  }
  memory       = 64
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
  depends_on   = [module.nginx]
}

# nginx's responses by status class and upstream errors, from the access log nginx writes on the
# nginx-logs volume (nginx.tf) with the shared program monitoring/mtail/nginx.mtail.
module "mtail" {
  source   = "./modules/container"
  name     = "${var.project}-mtail"
  hostname = "mtail"
  image    = local.image_ids.mtail
  # The image's entrypoint adds --port from MTAIL_PORT (a build argument from ports.env).
  command           = ["--logs", "/var/log/nginx/${basename(local.nginx_access_log)}"]
  uploads           = { "/etc/mtail/nginx.mtail" = file("${local.repo}/monitoring/mtail/nginx.mtail") }
  networks_advanced = [{ name = docker_network.back.id, aliases = ["mtail"] }]
  volumes           = [{ volume_name = docker_volume.data["nginx-logs"].name, container_path = "/var/log/nginx", read_only = true }]
  healthcheck = {
    test     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${local.ports.mtail}/metrics', timeout=2)"]
    interval = "15s"
  }
  memory       = 64
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
  depends_on   = [module.nginx]
}

# The PostgreSQL volume's filesystem for DiskFillingUp (plus CPU and memory): node_exporter sees the
# volumes mounted under /data; every other mount point of its container is excluded.
module "node_exporter" {
  source   = "./modules/container"
  name     = "${var.project}-node-exporter"
  hostname = "node-exporter"
  image    = docker_image.pulled["NODE_EXPORTER_IMAGE"].image_id
  command = [
    "--web.listen-address=:${local.ports.node_exporter}",
    "--collector.disable-defaults",
    "--collector.filesystem",
    "--collector.cpu",
    "--collector.meminfo",
    "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|etc|run)?($|/)",
  ]
  networks_advanced = [{ name = docker_network.back.id, aliases = ["node-exporter"] }]
  volumes           = [{ volume_name = docker_volume.data["pgdata"].name, container_path = "/data/pgdata", read_only = true }]
  healthcheck = {
    test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.node_exporter}/metrics"]
    interval = "15s"
  }
  memory       = 64
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
}

# Probes nginx's HTTPS listener for Prometheus' job tls (the certificate's expiry), with the shared
# monitoring/blackbox/blackbox.yml.
module "blackbox_exporter" {
  source   = "./modules/container"
  name     = "${var.project}-blackbox-exporter"
  hostname = "blackbox-exporter"
  image    = docker_image.pulled["BLACKBOX_EXPORTER_IMAGE"].image_id
  command = [
    "--config.file=/etc/blackbox_exporter/config.yml",
    "--web.listen-address=:${local.ports.blackbox_exporter}",
  ]
  uploads           = { "/etc/blackbox_exporter/config.yml" = file("${local.repo}/monitoring/blackbox/blackbox.yml") }
  networks_advanced = [{ name = docker_network.back.id, aliases = ["blackbox-exporter"] }]
  healthcheck = {
    test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.blackbox_exporter}/-/healthy"]
    interval = "15s"
  }
  memory = 64
  # Not read_only: the provider uploads the config into the container's filesystem, which a read-only
  # root refuses.
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
  depends_on   = [module.nginx]
}
