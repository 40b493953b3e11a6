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
      web = [for index, container in docker_container.web : {
        targets = ["${container.hostname}:${local.ports.web}"]
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

resource "docker_container" "otelcol" {
  name     = "${var.project}-otel-collector"
  hostname = "otel-collector"
  image    = local.image_ids.otelcol
  env      = [for key, value in local.otel_env : "${key}=${value}"]
  # The shared config plus the Loki overlay (logs to Loki as well as to the file sink).
  command = ["--config=/etc/otelcol/config.yaml", "--config=/etc/otelcol/loki.yaml"]
  upload {
    file    = "/etc/otelcol/config.yaml"
    content = file("${local.repo}/monitoring/otel-collector/config.yaml")
  }
  upload {
    file    = "/etc/otelcol/loki.yaml"
    content = file("${local.repo}/monitoring/otel-collector/loki.yaml")
  }
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["otel-collector"]
  }
  volumes {
    volume_name    = docker_volume.data["otel-logs"].name
    container_path = "/var/lib/otelcol/logs"
  }
  healthcheck {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.otelcol_health}/"]
    interval     = "10s"
    timeout      = "3s"
    retries      = 3
    start_period = "20s"
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 512
  log_driver = "json-file"
  log_opts   = local.log_opts
  depends_on = [docker_container.jaeger]
}

resource "docker_container" "jaeger" {
  name     = "${var.project}-jaeger"
  hostname = "jaeger"
  # The official image (its UI included); the native stack builds the same release from monitoring/jaeger/go.mod.
  image   = docker_image.pulled["JAEGER_IMAGE"].image_id
  command = ["--config=/etc/jaeger/config.yaml"]
  env     = [for key, value in local.jaeger_env : "${key}=${value}"]
  upload {
    file    = "/etc/jaeger/config.yaml"
    content = file("${local.repo}/monitoring/jaeger/config.yaml")
  }
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["jaeger"]
  }
  healthcheck {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.jaeger_health}/"]
    interval     = "10s"
    timeout      = "3s"
    retries      = 3
    start_period = "20s"
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 1024
  log_driver = "json-file"
  log_opts   = local.log_opts
}

resource "docker_container" "prometheus" {
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
  dynamic "upload" {
    for_each = local.prometheus_uploads
    content {
      file    = "/etc/prometheus/${upload.key}"
      content = upload.value
    }
  }
  upload {
    file    = "/etc/prometheus/secrets/metrics-token"
    content = var.metrics_token
  }
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["prometheus"]
  }
  volumes {
    volume_name    = docker_volume.data["prometheus-data"].name
    container_path = "/prometheus"
  }
  healthcheck {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.prometheus}/-/ready"]
    interval     = "10s"
    timeout      = "3s"
    retries      = 3
    start_period = "20s"
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 1024
  log_driver = "json-file"
  log_opts   = local.log_opts
}

resource "docker_container" "alertmanager" {
  name     = "${var.project}-alertmanager"
  hostname = "alertmanager"
  image    = docker_image.pulled["ALERTMANAGER_IMAGE"].image_id
  command = [
    "--config.file=/etc/alertmanager/alertmanager.yml",
    "--storage.path=/alertmanager",
    "--web.listen-address=0.0.0.0:${local.ports.alertmanager}",
    "--cluster.listen-address=",
  ]
  # Alertmanager reads one file: the routes, then the receivers var.alerting picks.
  upload {
    file    = "/etc/alertmanager/alertmanager.yml"
    content = local.alertmanager_config
  }
  # The production receivers' credentials, as the files receivers.production.yml names.
  dynamic "upload" {
    for_each = var.alerting == "production" ? nonsensitive(toset(keys(var.alert_secrets))) : toset([])
    content {
      file    = "/etc/alertmanager/secrets/${upload.value}"
      content = var.alert_secrets[upload.value]
    }
  }
  lifecycle {
    precondition {
      condition     = var.alerting != "production" || toset(nonsensitive(keys(var.alert_secrets))) == local.alert_secret_names
      error_message = "alerting = \"production\" needs alert_secrets with exactly: ${join(", ", sort(local.alert_secret_names))}."
    }
  }
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["alertmanager"]
  }
  # Production receivers need a way out (PagerDuty, Slack, the mail relay): the back network has none.
  dynamic "networks_advanced" {
    for_each = var.alerting == "production" ? [docker_network.ops.id] : []
    content {
      name = networks_advanced.value
    }
  }
  volumes {
    volume_name    = docker_volume.data["alertmanager-data"].name
    container_path = "/alertmanager"
  }
  healthcheck {
    test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.alertmanager}/-/ready"]
    interval = "10s"
    timeout  = "3s"
    retries  = 3
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 128
  log_driver = "json-file"
  log_opts   = local.log_opts
}

# receivers.yml posts to a webhook on Alertmanager's loopback: this receiver shares its network namespace.
resource "docker_container" "alert_sink" {
  name         = "${var.project}-alert-sink"
  image        = local.image_ids.web
  entrypoint   = ["python", "/opt/stack/alert_sink.py", "--receivers", "/opt/stack/receivers.yml"]
  network_mode = "container:${docker_container.alertmanager.id}"
  upload {
    file    = "/opt/stack/alert_sink.py"
    content = file("${local.repo}/stack/alert_sink.py")
  }
  # The sink listens on the port of these receivers' webhook URLs.
  upload {
    file    = "/opt/stack/receivers.yml"
    content = file("${local.repo}/monitoring/alertmanager/receivers.yml")
  }
  healthcheck {
    test     = ["CMD", "python", "/opt/stack/alert_sink.py", "--receivers", "/opt/stack/receivers.yml", "--check"]
    interval = "10s"
    timeout  = "3s"
    retries  = 3
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 64
  log_driver = "json-file"
  log_opts   = local.log_opts
}

resource "docker_container" "loki" {
  name     = "${var.project}-loki"
  hostname = "loki"
  image    = docker_image.pulled["LOKI_IMAGE"].image_id
  # The image's own single-process config (filesystem storage); OTLP logs arrive at /otlp.
  command = ["-config.file=/etc/loki/local-config.yaml"]
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["loki"]
  }
  volumes {
    volume_name    = docker_volume.data["loki-data"].name
    container_path = "/loki"
  }
  healthcheck {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.loki}/ready"]
    interval     = "10s"
    timeout      = "3s"
    retries      = 5
    start_period = "30s"
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 512
  log_driver = "json-file"
  log_opts   = local.log_opts
}

resource "docker_container" "grafana" {
  name     = "${var.project}-grafana"
  hostname = "grafana"
  image    = docker_image.pulled["GRAFANA_IMAGE"].image_id
  env = [
    "GF_PATHS_PROVISIONING=/etc/tweetstack/grafana/provisioning",
    "GF_SECURITY_ADMIN_USER=admin",
    "GF_SECURITY_ADMIN_PASSWORD=${var.grafana_admin_password}",
    "GF_USERS_ALLOW_SIGN_UP=false",
    "GF_ANALYTICS_REPORTING_ENABLED=false",
    "GF_ANALYTICS_CHECK_FOR_UPDATES=false",
    "GRAFANA_PROMETHEUS_URL=http://prometheus:${local.ports.prometheus}",
    "GRAFANA_ALERTMANAGER_URL=http://alertmanager:${local.ports.alertmanager}",
    "GRAFANA_JAEGER_URL=http://jaeger:${local.ports.jaeger_ui}",
    "GRAFANA_LOKI_URL=http://loki:${local.ports.loki}",
  ]
  dynamic "upload" {
    for_each = local.grafana_files
    content {
      file    = "/etc/tweetstack/grafana/${upload.value}"
      content = file("${local.repo}/monitoring/grafana/${upload.value}")
    }
  }
  ports {
    internal = local.ports.grafana
    external = local.ports.grafana
    ip       = "127.0.0.1"
  }
  networks_advanced {
    name = docker_network.back.id
  }
  networks_advanced {
    name = docker_network.ops.id
  }
  volumes {
    volume_name    = docker_volume.data["grafana-data"].name
    container_path = "/var/lib/grafana"
  }
  healthcheck {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.grafana}/api/health"]
    interval     = "10s"
    timeout      = "3s"
    retries      = 5
    start_period = "30s"
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 256
  log_driver = "json-file"
  log_opts   = local.log_opts
  depends_on = [docker_container.prometheus, docker_container.loki, docker_container.jaeger]
}

resource "docker_container" "postgres_exporter" {
  name     = "${var.project}-postgres-exporter"
  hostname = "postgres-exporter"
  image    = docker_image.pulled["POSTGRES_EXPORTER_IMAGE"].image_id
  env      = ["DATA_SOURCE_NAME=postgresql://${local.postgres_user}:${var.postgres_password}@postgres:${local.ports.postgres}/${local.postgres_db}?sslmode=disable"]
  # The extra query: WAL archiving (pg_stat_archiver), which the WalArchiving* alerts read.
  command = ["--web.listen-address=:${local.ports.postgres_exporter}", "--extend.query-path=/etc/postgres-exporter/queries.yaml"]
  upload {
    file    = "/etc/postgres-exporter/queries.yaml"
    content = file("${local.repo}/monitoring/postgres-exporter/queries.yaml")
  }
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["postgres-exporter"]
  }
  healthcheck {
    test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.postgres_exporter}/metrics"]
    interval = "15s"
    timeout  = "5s"
    retries  = 3
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 64
  log_driver = "json-file"
  log_opts   = local.log_opts
  depends_on = [docker_container.postgres]
}

resource "docker_container" "redis_exporter" {
  name     = "${var.project}-redis-exporter"
  hostname = "redis-exporter"
  image    = docker_image.pulled["REDIS_EXPORTER_IMAGE"].image_id
  command  = ["-redis.addr=redis://redis:${local.ports.redis}", "-web.listen-address=:${local.ports.redis_exporter}"]
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["redis-exporter"]
  }
  healthcheck {
    test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.redis_exporter}/health"]
    interval = "15s"
    timeout  = "3s"
    retries  = 3
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 64
  log_driver = "json-file"
  log_opts   = local.log_opts
  depends_on = [docker_container.redis]
}

resource "docker_container" "nginx_exporter" {
  name     = "${var.project}-nginx-exporter"
  hostname = "nginx-exporter"
  image    = docker_image.pulled["NGINX_EXPORTER_IMAGE"].image_id
  command  = ["--nginx.scrape-uri=http://nginx:${local.ports.nginx_status}/stub_status", "--web.listen-address=:${local.ports.nginx_exporter}"]
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["nginx-exporter"]
  }
  # The image has no shell or HTTP client: the check is that the binary answers.
  healthcheck {
    test     = ["CMD", "/usr/bin/nginx-prometheus-exporter", "--version"]
    interval = "30s"
    timeout  = "3s"
    retries  = 3
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 64
  log_driver = "json-file"
  log_opts   = local.log_opts
  depends_on = [docker_container.nginx]
}

# nginx's responses by status class and upstream errors, from the access log nginx writes on the
# nginx-logs volume (nginx.tf) with the shared program monitoring/mtail/nginx.mtail.
resource "docker_container" "mtail" {
  name     = "${var.project}-mtail"
  hostname = "mtail"
  image    = local.image_ids.mtail
  # The image's entrypoint adds --port from MTAIL_PORT (a build argument from ports.env).
  command = ["--logs", "/var/log/nginx/${basename(local.nginx_access_log)}"]
  upload {
    file    = "/etc/mtail/nginx.mtail"
    content = file("${local.repo}/monitoring/mtail/nginx.mtail")
  }
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["mtail"]
  }
  volumes {
    volume_name    = docker_volume.data["nginx-logs"].name
    container_path = "/var/log/nginx"
    read_only      = true
  }
  healthcheck {
    test     = ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${local.ports.mtail}/metrics', timeout=2)"]
    interval = "15s"
    timeout  = "3s"
    retries  = 3
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 64
  log_driver = "json-file"
  log_opts   = local.log_opts
  depends_on = [docker_container.nginx]
}

# The PostgreSQL volume's filesystem for DiskFillingUp (plus CPU and memory): node_exporter sees the
# volumes mounted under /data; every other mount point of its container is excluded.
resource "docker_container" "node_exporter" {
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
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["node-exporter"]
  }
  volumes {
    volume_name    = docker_volume.data["pgdata"].name
    container_path = "/data/pgdata"
    read_only      = true
  }
  healthcheck {
    test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.node_exporter}/metrics"]
    interval = "15s"
    timeout  = "3s"
    retries  = 3
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 64
  log_driver = "json-file"
  log_opts   = local.log_opts
}

# Probes nginx's HTTPS listener for Prometheus' job tls (the certificate's expiry), with the shared
# monitoring/blackbox/blackbox.yml.
resource "docker_container" "blackbox_exporter" {
  name     = "${var.project}-blackbox-exporter"
  hostname = "blackbox-exporter"
  image    = docker_image.pulled["BLACKBOX_EXPORTER_IMAGE"].image_id
  command = [
    "--config.file=/etc/blackbox_exporter/config.yml",
    "--web.listen-address=:${local.ports.blackbox_exporter}",
  ]
  upload {
    file    = "/etc/blackbox_exporter/config.yml"
    content = file("${local.repo}/monitoring/blackbox/blackbox.yml")
  }
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["blackbox-exporter"]
  }
  healthcheck {
    test     = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.blackbox_exporter}/-/healthy"]
    interval = "15s"
    timeout  = "3s"
    retries  = 3
  }
  # Not read_only: the provider uploads the config into the container's filesystem, which a read-only
  # root refuses.
  wait       = true
  restart    = "unless-stopped"
  memory     = 64
  log_driver = "json-file"
  log_opts   = local.log_opts

  depends_on = [docker_container.nginx]
}
