# The tweet stack on one Docker host: shared settings, networks, volumes and images.
# Loaded by terraform in this folder; services live in data.tf, web.tf, nginx.tf, backup.tf, checklist.tf and
# monitoring.tf, each container a call of modules/container (the defaults every container shares).

locals {
  repo = abspath("${path.module}/..")

  # Image tags are pinned once, in versions.env (Compose reads the same file).
  pinned_images = {
    for line in split("\n", file("${local.repo}/versions.env")) :
    trimspace(split("=", line)[0]) => trimspace(split("=", line)[1])
    if can(regex("^[A-Z0-9_]+_IMAGE=", line))
  }
  images = merge(local.pinned_images, var.image_overrides)

  # Every port, from ports.env (Compose and the native stack read the same file): the NAME_PORT lines,
  # as the containers' environment takes them, and by name (WEB_PORT -> web).
  port_variables = {
    for line in split("\n", file("${local.repo}/ports.env")) :
    trimspace(split("=", line)[0]) => trimspace(split("=", line)[1])
    if can(regex("^[A-Z0-9_]+_PORT=", line))
  }
  ports             = { for name, port in local.port_variables : lower(trimsuffix(name, "_PORT")) => tonumber(port) }
  public_port       = coalesce(var.public_port, local.ports.nginx)
  https_public_port = coalesce(var.https_public_port, local.ports.nginx_https)

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

  # The upload limits, from app/config/limits.env (the app and the native stack read the same file):
  # nginx accepts the image plus the rest of the form.
  limits = {
    for line in split("\n", file("${local.repo}/app/config/limits.env")) :
    trimspace(split("=", line)[0]) => tonumber(trimspace(split("=", line)[1]))
    if can(regex("^[A-Z0-9_]+=", line))
  }
  image_max_bytes      = coalesce(var.image_max_bytes, local.limits.IMAGE_MAX_BYTES)
  client_max_body_size = local.image_max_bytes + local.limits.UPLOAD_FORM_OVERHEAD_BYTES

  postgres_user = "tweetstack"
  postgres_db   = "tweetstack"
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

# The off-host copy's way out, for the repository's writers only (var.offsite_repository).
resource "docker_network" "offsite" {
  count = local.offsite ? 1 : 0
  name  = "${var.project}-offsite"
}

resource "docker_volume" "data" {
  for_each = toset(["pgdata", "pgsocket", "pgbackrest", "media", "backups", "backup-status", "otel-logs", "nginx-logs", "prometheus-data", "alertmanager-data", "grafana-data", "loki-data"])
  name     = "${var.project}-${each.key}"
}

# --- images built from this repository, rebuilt when their inputs change, unless var.release_images
# names a published one (a release's digest, as scripts/publish_images.sh printed it).
locals {
  app_build_args = { PYTHON_IMAGE = local.images.PYTHON_IMAGE, NGINX_IMAGE = local.images.NGINX_IMAGE, WEB_PORT = local.port_variables.WEB_PORT }
  # By name: the build context, the Dockerfile's target (null: the context's only stage), the build
  # arguments and a hash of the files that rebuild it. The same contexts and targets as
  # docker-compose.yml and scripts/publish_images.sh.
  builds = {
    web   = { context = local.repo, target = "web", args = local.app_build_args, inputs = local.web_inputs_sha }
    nginx = { context = local.repo, target = "nginx", args = local.app_build_args, inputs = local.web_inputs_sha }
    # POSTGRES_IMAGE plus pgBackRest, which its archive_command runs (postgres/Dockerfile).
    postgres = {
      context = "${local.repo}/postgres"
      target  = null
      args    = { POSTGRES_IMAGE = local.images.POSTGRES_IMAGE }
      inputs  = sha1(join("", [for f in sort(fileset(local.repo, "postgres/*")) : filesha1("${local.repo}/${f}")]))
    }
    # The app image plus PostgreSQL and pgBackRest of the server's major version (the Dockerfile's backup stage).
    backup = {
      context = local.repo
      target  = "backup"
      args    = merge(var.backup_build_args, local.app_build_args, { POSTGRES_IMAGE = local.images.POSTGRES_IMAGE })
      inputs  = local.web_inputs_sha
    }
    # The app image plus the readiness checklist and the files it reads (the Dockerfile's checklist stage).
    checklist = { context = local.repo, target = "checklist", args = local.app_build_args, inputs = local.checklist_inputs_sha }
    otelcol = {
      context = "${local.repo}/monitoring/otel-collector"
      target  = null
      args    = { GO_IMAGE = local.images.GO_IMAGE, OTEL_RUNTIME_IMAGE = local.images.OTEL_RUNTIME_IMAGE }
      inputs  = filesha1("${local.repo}/monitoring/otel-collector/builder-config.yaml")
    }
    # mtail from Debian's package (the native stack's release); its program is uploaded (monitoring.tf).
    mtail = {
      context = "${local.repo}/monitoring/mtail"
      target  = null
      args    = { PYTHON_IMAGE = local.images.PYTHON_IMAGE, MTAIL_PORT = local.port_variables.MTAIL_PORT }
      inputs  = filesha1("${local.repo}/monitoring/mtail/Dockerfile")
    }
  }
  # What the containers run, by name: the released image where one is given, the local build otherwise.
  image_ids = merge(
    { for name, image in docker_image.built : name => image.image_id },
    { for name, image in docker_image.released : name => image.image_id },
  )
}

resource "docker_image" "built" {
  for_each     = { for name, build in local.builds : name => build if !contains(keys(var.release_images), name) }
  name         = "${var.project}-${each.key}:terraform"
  keep_locally = true
  build {
    context    = each.value.context
    target     = each.value.target
    build_args = each.value.args
  }
  triggers = { inputs = each.value.inputs }
}

# Pulled by digest: what staging ran is what production runs, never rebuilt (.github/workflows/deploy.yml).
resource "docker_image" "released" {
  # checkov reads the name as the text `each.value`; var.release_images admits digests only.
  #checkov:skip=CKV2_TWEETSTACK_5:pinned by digest, as var.release_images validates
  for_each     = var.release_images
  name         = each.value
  keep_locally = true
}

# --- images run as published.
resource "docker_image" "pulled" {
  for_each = toset([
    "POSTGRES_IMAGE", "REDIS_IMAGE", "PROMETHEUS_IMAGE", "ALERTMANAGER_IMAGE", "JAEGER_IMAGE", "GRAFANA_IMAGE", "LOKI_IMAGE",
    "POSTGRES_EXPORTER_IMAGE", "REDIS_EXPORTER_IMAGE", "NGINX_EXPORTER_IMAGE", "NODE_EXPORTER_IMAGE",
    "BLACKBOX_EXPORTER_IMAGE",
  ])
  name         = local.images[each.key]
  keep_locally = true
}

locals {
  # pgBackRest's options (postgres/pgbackrest.conf, in both images, holds the shared ones) for the
  # server's archive-push, the backup job and a restore: as docker-compose.yml's x-pgbackrest-env.
  pgbackrest_env = merge({
    PGBACKREST_CONFIG            = "/etc/tweetstack/postgres/pgbackrest.conf"
    PGBACKREST_STANZA            = "tweetstack"
    PGBACKREST_REPO1_PATH        = "/var/lib/pgbackrest"
    PGBACKREST_REPO1_CIPHER_PASS = var.pgbackrest_cipher_pass
    PGBACKREST_PG1_PATH          = "/var/lib/postgresql/data"
    PGBACKREST_PG1_PORT          = local.port_variables.POSTGRES_PORT
    PGBACKREST_PG1_SOCKET_PATH   = "/var/run/postgresql"
    PGBACKREST_PG1_USER          = local.postgres_user
    PGBACKREST_LOCK_PATH         = "/tmp/pgbackrest"
  }, local.offsite_env)
  # The off-host copy (var.offsite_repository): pgBackRest's own REPO2 options, as the native stack
  # and docker-compose.offsite.yml give them.
  offsite = nonsensitive(var.offsite_repository != null)
  offsite_env = local.offsite ? {
    PGBACKREST_REPO2_TYPE           = "s3"
    PGBACKREST_REPO2_S3_ENDPOINT    = var.offsite_repository.endpoint
    PGBACKREST_REPO2_S3_BUCKET      = var.offsite_repository.bucket
    PGBACKREST_REPO2_S3_REGION      = var.offsite_repository.region
    PGBACKREST_REPO2_S3_KEY         = var.offsite_repository.key
    PGBACKREST_REPO2_S3_KEY_SECRET  = var.offsite_repository.key_secret
    PGBACKREST_REPO2_CIPHER_TYPE    = "aes-256-cbc"
    PGBACKREST_REPO2_CIPHER_PASS    = var.offsite_repository.cipher_pass
    PGBACKREST_REPO2_PATH           = var.offsite_repository.path
    PGBACKREST_REPO2_S3_URI_STYLE   = var.offsite_repository.uri_style
    PGBACKREST_REPO2_STORAGE_PORT   = tostring(var.offsite_repository.port)
    PGBACKREST_REPO2_RETENTION_FULL = tostring(var.offsite_repository.retention_full)
  } : {}
  # The repository's two writers (the server's archive-push, the backup job) reach the store this way.
  offsite_networks = [for network in docker_network.offsite : { name = network.id }]
  # The volumes the server and the backup job share: pgBackRest talks to the server over its socket,
  # and the repository holds the archived WAL and the backups.
  pgbackrest_volumes = { pgsocket = "/var/run/postgresql", pgbackrest = "/var/lib/pgbackrest" }

  web_inputs_sha = sha1(join("", concat(
    [filesha1("${local.repo}/Dockerfile"), filesha1("${local.repo}/pyproject.toml")],
    [for f in sort(fileset(local.repo, "app/**")) : filesha1("${local.repo}/${f}") if !strcontains(f, "__pycache__")],
    [for f in sort(fileset(local.repo, "postgres/*")) : filesha1("${local.repo}/${f}")],
  )))
  # The checklist reads the configs of every runtime as well as the app.
  checklist_inputs_sha = sha1(join("", concat(
    [local.web_inputs_sha],
    flatten([for pattern in ["checklist/**", "stack/**", "nginx/**", "monitoring/**", "terraform/*.tf", "terraform/modules/**", "docs/runbooks/*"] :
    [for f in sort(fileset(local.repo, pattern)) : filesha1("${local.repo}/${f}") if !strcontains(f, "__pycache__")]]),
    [for f in ["docker-compose.yml", "docker-compose.prod.yml", "ports.env"] : filesha1("${local.repo}/${f}")],
  )))
}
