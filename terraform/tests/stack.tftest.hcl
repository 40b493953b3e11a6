# Plan-mode tests of the tweet stack (no Docker engine needed): replicas, rendered nginx upstream and
# Prometheus targets, secrets. Run by tests/deploy (make test) as `terraform test` in terraform/.

mock_provider "docker" {}

# Known network ids at plan time, so a container's networks can be named in assertions.
override_resource {
  target          = docker_network.back
  override_during = plan
  values          = { id = "back-network" }
}

override_resource {
  target          = docker_network.ops
  override_during = plan
  values          = { id = "ops-network" }
}

override_resource {
  target          = docker_network.offsite
  override_during = plan
  values          = { id = "offsite-network" }
}

variables {
  django_secret_key      = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"
  postgres_password      = "test-postgres-password"
  pgbackrest_cipher_pass = "test-pgbackrest-cipher-pass"
  metrics_token          = "test-metrics-token-0123456789"
  grafana_admin_password = "test-grafana-password"
  # Plan mode never parses the certificate files: any existing file stands in for them.
  tls_cert_file = "tests/stack.tftest.hcl"
  tls_key_file  = "tests/stack.tftest.hcl"
  tls_ca_file   = "tests/stack.tftest.hcl"
  # Used only where a run sets alerting = "production".
  alert_secrets = {
    pagerduty_routing_key = "test-routing-key"
    slack_webhook_url     = "https://hooks.slack.invalid/services/T/B/X"
    smtp_password         = "test-smtp-password"
    watchdog_token        = "test-watchdog-token"
  }
}

run "nginx_serves_https_from_the_given_files_and_the_checklist_verifies_it" {
  command = plan

  variables {
    allowed_hosts     = ["tweets.example.com"]
    https_public_port = 443
  }

  assert {
    condition     = strcontains(local.nginx_rendered["listen-public.conf"], "listen ${local.ports.nginx_https} ssl;\nhttp2 on;\n")
    error_message = "nginx's public server must listen with TLS and HTTP/2 on NGINX_HTTPS_PORT"
  }

  assert {
    condition     = strcontains(local.nginx_rendered["listen-public.conf"], "set $tweetstack_https_port 443;\ninclude tls.conf;\n")
    error_message = "plain HTTP must redirect to the published HTTPS port (tls.conf)"
  }

  assert {
    condition     = jsonencode([for p in module.nginx.container.ports : [p.internal, p.external]]) == jsonencode([[local.ports.nginx, local.ports.nginx], [local.ports.nginx_https, 443]])
    error_message = "nginx must publish its plain and HTTPS listeners"
  }

  assert {
    condition     = nonsensitive(local.nginx_tls["server.key"]) == file("tests/stack.tftest.hcl")
    error_message = "nginx's key must be the content of tls_key_file"
  }

  assert {
    condition     = contains(module.web[0].container.env, "DJANGO_CSRF_TRUSTED_ORIGINS=https://tweets.example.com")
    error_message = "the trusted origin is the HTTPS site (no port on 443)"
  }

  assert {
    condition     = jsonencode(slice(module.checklist.container.command, 3, 9)) == jsonencode(["--url", "https://localhost:${local.ports.nginx_https}", "--server-name", "tweets.example.com", "--ca-file", "/etc/tweetstack/tls/ca.crt"])
    error_message = "the checklist must check the HTTPS site, verified for allowed_hosts[0]"
  }
}

run "three_replicas_behind_nginx_and_prometheus" {
  command = plan

  variables {
    web_replicas = 3
  }

  assert {
    condition     = length(module.web) == 3
    error_message = "web_replicas = 3 must plan 3 web containers"
  }

  assert {
    condition     = length(regexall("(?m)^server \\S+:8000 resolve;$", local.nginx_rendered["web-replicas.conf"])) == 3
    error_message = "the nginx upstream must list 3 servers"
  }

  assert {
    condition = toset([for u in module.nginx.container.upload : u.file]) == toset([
      "/etc/tweetstack/nginx/nginx.conf", "/etc/tweetstack/nginx/proxy.conf", "/etc/tweetstack/nginx/security-headers.conf",
      "/etc/tweetstack/nginx/web-replicas.conf", "/etc/tweetstack/nginx/listen-public.conf",
      "/etc/tweetstack/nginx/listen-internal.conf", "/etc/tweetstack/nginx/limits.conf",
      "/etc/tweetstack/nginx/access-log.conf", "/etc/tweetstack/nginx/timeouts.conf",
      "/etc/tweetstack/nginx/tls.conf", "/etc/tweetstack/tls/server.crt", "/etc/tweetstack/tls/server.key",
    ])
    error_message = "nginx must get the shared nginx/*.conf, the six files they include, and the certificate and key"
  }

  assert {
    condition = [for group in jsondecode(local.prometheus_uploads["targets/web.json"]) : group.targets[0]] == [
      "tweetstack-web-0:8000", "tweetstack-web-1:8000", "tweetstack-web-2:8000",
    ]
    error_message = "Prometheus' web targets must name the 3 replicas"
  }

  assert {
    condition     = [for group in jsondecode(local.prometheus_uploads["targets/web.json"]) : group.labels.service_instance] == ["web-0", "web-1", "web-2"]
    error_message = "each web target must carry the replica's service_instance, as the native stack's do"
  }

  assert {
    condition     = local.prometheus_uploads["prometheus.yml"] == file("../monitoring/prometheus/prometheus.yml")
    error_message = "Prometheus must get the shared prometheus.yml as it is"
  }

  assert {
    condition     = docker_network.back.internal
    error_message = "the back network must be internal"
  }

  assert {
    condition     = local.nginx_rendered["limits.conf"] == "client_max_body_size ${local.limits.IMAGE_MAX_BYTES + local.limits.UPLOAD_FORM_OVERHEAD_BYTES};\n"
    error_message = "nginx's body limit must follow image_max_bytes (app/config/limits.env's, plus the form's overhead)"
  }

  assert {
    condition     = strcontains(local.nginx_rendered["timeouts.conf"], "proxy_read_timeout ${local.timeouts.NGINX_PROXY_READ_TIMEOUT}s;\n")
    error_message = "nginx's read timeout must come from app/config/timeouts.env"
  }
}

run "one_replica" {
  command = plan

  variables {
    web_replicas = 1
  }

  assert {
    condition     = length(module.web) == 1
    error_message = "web_replicas = 1 must plan 1 web container"
  }

  assert {
    condition     = length(regexall("(?m)^server ", local.nginx_rendered["web-replicas.conf"])) == 1
    error_message = "the nginx upstream must list 1 server"
  }

  assert {
    condition     = length(jsondecode(local.prometheus_uploads["targets/web.json"])) == 1
    error_message = "Prometheus must have 1 web target"
  }
}

run "every_container_is_bounded_and_checked" {
  command = plan

  assert {
    condition = alltrue([for c in concat(module.web[*].container, [
      module.postgres.container, module.redis.container, module.nginx.container, module.otelcol.container,
      module.jaeger.container, module.prometheus.container, module.alertmanager.container, module.alert_sink.container,
      module.loki.container, module.grafana.container, module.postgres_exporter.container,
      module.redis_exporter.container, module.nginx_exporter.container, module.mtail.container,
      module.node_exporter.container,
    ]) : c.memory > 0 && c.restart == "unless-stopped" && c.log_opts["max-size"] == "10m" && length(c.healthcheck) == 1 && c.wait])
    error_message = "every long-running container needs a memory limit, restart policy, capped logs, a healthcheck and wait"
  }

  assert {
    condition     = alltrue([for name, image in local.images : !endswith(image, ":latest") && length(split(":", image)) >= 2])
    error_message = "every image from versions.env must be pinned to a tag"
  }

  assert {
    condition     = module.migrate.container.attach && !module.migrate.container.must_run
    error_message = "migrations must run once, to completion, before the replicas"
  }
}

run "backups_are_scheduled_and_their_status_reaches_the_replicas" {
  command = plan

  variables {
    backup_interval_seconds = 3600
  }

  assert {
    condition     = contains(module.backup.container.env, "BACKUP_INTERVAL_SECONDS=3600") && contains(module.backup.container.env, "BACKUP_STATUS_FILE=/srv/status/backup.json")
    error_message = "the backup container must run on the interval and write the status file"
  }

  assert {
    condition     = alltrue([for web in module.web[*].container : contains(web.env, "BACKUP_STATUS_FILE=/srv/status/backup.json") && anytrue([for v in web.volumes : v.volume_name == "tweetstack-backup-status" && v.read_only == true])])
    error_message = "every replica must read the backup status volume (read-only) at the same path"
  }

  assert {
    condition     = module.backup.container.memory > 0 && module.backup.container.restart == "unless-stopped" && length(module.backup.container.healthcheck) == 1
    error_message = "the backup container needs a memory limit, a restart policy and a healthcheck"
  }
}

run "mtail_reads_nginx_s_access_log_and_node_exporter_the_data_volume" {
  command = plan

  assert {
    condition     = local.nginx_rendered["access-log.conf"] == "access_log logs/access.log json;\n" && anytrue([for v in module.nginx.container.volumes : v.volume_name == "tweetstack-nginx-logs" && v.container_path == "/srv/www/logs"])
    error_message = "nginx must write its access log under its prefix (/srv/www) on the nginx-logs volume"
  }

  assert {
    condition     = anytrue([for v in module.mtail.container.volumes : v.volume_name == "tweetstack-nginx-logs" && v.container_path == "/var/log/nginx" && v.read_only == true]) && contains(module.mtail.container.command, "/var/log/nginx/access.log")
    error_message = "mtail must read nginx's access log from the shared volume, read-only"
  }

  assert {
    condition     = anytrue([for v in module.node_exporter.container.volumes : v.volume_name == "tweetstack-pgdata" && v.container_path == "/data/pgdata" && v.read_only == true])
    error_message = "node-exporter must mount the PostgreSQL volume read-only under /data"
  }

  assert {
    condition     = [for job in ["nginx-log", "node"] : jsondecode(local.prometheus_uploads["targets/${job}.json"])[0].targets[0]] == ["mtail:3903", "node-exporter:9100"]
    error_message = "Prometheus must scrape mtail (job nginx-log) and node-exporter (job node)"
  }
}

run "zero_replicas_is_refused" {
  command = plan

  variables {
    web_replicas = 0
  }

  expect_failures = [var.web_replicas]
}

run "twenty_one_replicas_is_refused" {
  command = plan

  variables {
    web_replicas = 21
  }

  expect_failures = [var.web_replicas]
}

run "a_short_secret_is_refused" {
  command = plan

  variables {
    django_secret_key = "too-short"
  }

  expect_failures = [var.django_secret_key]
}

run "a_wildcard_host_is_refused" {
  command = plan

  variables {
    allowed_hosts = ["*"]
  }

  expect_failures = [var.allowed_hosts]
}

run "a_latest_image_override_is_refused" {
  command = plan

  variables {
    image_overrides = { POSTGRES_IMAGE = "postgres:latest" }
  }

  expect_failures = [var.image_overrides]
}

run "an_empty_database_password_is_refused" {
  command = plan

  variables {
    postgres_password = ""
  }

  expect_failures = [var.postgres_password]
}

run "an_empty_metrics_token_is_refused" {
  command = plan

  variables {
    metrics_token = ""
  }

  expect_failures = [var.metrics_token]
}

run "alerts_go_to_the_sink_by_default" {
  command = plan

  assert {
    condition = local.alertmanager_config == join("", [
      file("../monitoring/alertmanager/alertmanager.yml"), file("../monitoring/alertmanager/receivers.yml"),
    ])
    error_message = "Alertmanager must get the shared routes followed by the sink's receivers"
  }

  assert {
    condition     = [for u in module.alertmanager.container.upload : u.file] == ["/etc/alertmanager/alertmanager.yml"]
    error_message = "without production alerting, Alertmanager gets its config and no credentials"
  }

  assert {
    condition     = [for n in module.alertmanager.container.networks_advanced : n.name] == ["back-network"]
    error_message = "the sink needs no way out: Alertmanager stays on the internal back network only"
  }
}

run "production_alerting_uploads_the_production_receivers_and_their_credentials" {
  command = plan

  variables {
    alerting = "production"
  }

  assert {
    condition = local.alertmanager_config == join("", [
      file("../monitoring/alertmanager/alertmanager.yml"), file("../monitoring/alertmanager/receivers.production.yml"),
    ])
    error_message = "Alertmanager must get the shared routes followed by the production receivers"
  }

  assert {
    condition = toset([for u in module.alertmanager.container.upload : u.file]) == toset([
      "/etc/alertmanager/alertmanager.yml",
      "/etc/alertmanager/secrets/pagerduty_routing_key", "/etc/alertmanager/secrets/slack_webhook_url",
      "/etc/alertmanager/secrets/smtp_password", "/etc/alertmanager/secrets/watchdog_token",
    ])
    error_message = "each credential receivers.production.yml reads must be uploaded where it reads it"
  }

  assert {
    condition     = toset([for n in module.alertmanager.container.networks_advanced : n.name]) == toset(["back-network", "ops-network"])
    error_message = "production receivers need the ops network's way out besides the internal back network"
  }
}

run "production_alerting_without_every_credential_is_refused" {
  command = plan

  variables {
    alerting      = "production"
    alert_secrets = { pagerduty_routing_key = "test-routing-key" }
  }

  expect_failures = [var.alert_secrets]
}

run "an_unknown_alerting_mode_is_refused" {
  command = plan

  variables {
    alerting = "pagerduty"
  }

  expect_failures = [var.alerting]
}

run "a_credential_ending_in_a_newline_is_refused" {
  command = plan

  variables {
    alerting      = "production"
    alert_secrets = merge(var.alert_secrets, { smtp_password = "test-smtp-password\n" })
  }

  expect_failures = [var.alert_secrets]
}

run "release_images_run_a_release_by_digest_and_build_the_rest" {
  command = plan

  variables {
    release_images = {
      web   = "registry.example/tweetstack/tweetstack-web@sha256:${join("", [for i in range(64) : "a"])}"
      nginx = "registry.example/tweetstack/tweetstack-nginx@sha256:${join("", [for i in range(64) : "b"])}"
    }
  }

  assert {
    condition     = docker_image.released["web"].name == var.release_images.web && docker_image.released["nginx"].name == var.release_images.nginx
    error_message = "the released images must be pulled by the digests given"
  }
  assert {
    condition     = jsonencode(sort(keys(docker_image.built))) == jsonencode(["backup", "checklist", "mtail", "otelcol", "postgres"])
    error_message = "a released image must not be built as well, and the others must be"
  }
}

run "a_release_image_by_tag_is_refused" {
  command = plan

  variables {
    release_images = { web = "registry.example/tweetstack/tweetstack-web:v1.2.0" }
  }

  expect_failures = [var.release_images]
}

run "a_release_image_of_no_known_name_is_refused" {
  command = plan

  variables {
    release_images = { grafana = "registry.example/grafana@sha256:${join("", [for i in range(64) : "c"])}" }
  }

  expect_failures = [var.release_images]
}

run "no_offsite_repository_no_way_out_for_the_database" {
  command = plan

  assert {
    condition     = length(docker_network.offsite) == 0 && !anytrue([for item in module.postgres.container.env : startswith(item, "PGBACKREST_REPO2_")])
    error_message = "without offsite_repository there is no second repository and no offsite network"
  }
  assert {
    condition     = [for n in module.postgres.container.networks_advanced : n.name] == ["back-network"]
    error_message = "the database must stay on the internal network only"
  }
}

run "the_offsite_repository_reaches_both_writers_with_a_way_out" {
  command = plan

  variables {
    offsite_repository = {
      endpoint    = "s3.eu-west-1.amazonaws.com"
      bucket      = "tweetstack-backups"
      region      = "eu-west-1"
      key         = "test-key"
      key_secret  = "test-key-secret"
      cipher_pass = "test-offsite-cipher-pass"
    }
  }

  assert {
    condition = alltrue([for container in [module.postgres.container, module.backup.container] : alltrue([
      for item in ["PGBACKREST_REPO2_TYPE=s3", "PGBACKREST_REPO2_S3_BUCKET=tweetstack-backups", "PGBACKREST_REPO2_CIPHER_TYPE=aes-256-cbc", "PGBACKREST_REPO2_PATH=/tweetstack", "PGBACKREST_REPO2_STORAGE_PORT=443", "PGBACKREST_REPO1_PATH=/var/lib/pgbackrest"] :
      contains(nonsensitive(container.env), item)
    ])])
    error_message = "the server and the backup job must both write the second repository (and keep the first)"
  }
  assert {
    condition     = alltrue([for container in [module.postgres.container, module.backup.container] : contains([for n in container.networks_advanced : n.name], "offsite-network")])
    error_message = "the repository's writers need the way out to the store"
  }
  assert {
    condition     = !anytrue([for container in [module.redis.container, module.prometheus.container, module.alertmanager.container] : contains([for n in container.networks_advanced : n.name], "offsite-network")])
    error_message = "only the repository's writers join the offsite network"
  }
}

run "a_short_offsite_passphrase_is_refused" {
  command = plan

  variables {
    offsite_repository = {
      endpoint    = "s3.example.com"
      bucket      = "b"
      region      = "r"
      key         = "k"
      key_secret  = "s"
      cipher_pass = "short"
    }
  }

  expect_failures = [var.offsite_repository]
}
