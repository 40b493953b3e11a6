# PostgreSQL, Redis and the one-shot migration container the web replicas wait for.
# Loaded by terraform in this folder (see main.tf for the shared locals).

resource "docker_container" "postgres" {
  name     = "${var.project}-postgres"
  hostname = "postgres"
  image    = local.image_ids.postgres
  # WAL archived continuously into the pgbackrest volume (postgres/archiving.conf, through container.conf).
  # Restore, to the end of the WAL or to a moment: scripts/terraform-restore.sh.
  command = ["postgres", "-c", "config_file=/etc/tweetstack/postgres/container.conf"]
  env = [for key, value in merge(local.pgbackrest_env, {
    PGPORT            = local.port_variables.POSTGRES_PORT
    POSTGRES_USER     = local.postgres_user
    POSTGRES_DB       = local.postgres_db
    POSTGRES_PASSWORD = var.postgres_password
  }) : "${key}=${value}"]
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["postgres"]
  }
  volumes {
    volume_name    = docker_volume.data["pgdata"].name
    container_path = "/var/lib/postgresql/data"
  }
  dynamic "volumes" {
    for_each = local.pgbackrest_volumes
    content {
      volume_name    = docker_volume.data[volumes.key].name
      container_path = volumes.value
    }
  }
  healthcheck {
    test         = ["CMD-SHELL", "pg_isready -U \"$POSTGRES_USER\" -d \"$POSTGRES_DB\" -h 127.0.0.1"]
    interval     = "5s"
    timeout      = "3s"
    retries      = 10
    start_period = "20s"
  }
  wait         = true
  wait_timeout = 120
  restart      = "unless-stopped"
  memory       = 1024
  log_driver   = "json-file"
  log_opts     = local.log_opts
}

resource "docker_container" "redis" {
  name     = "${var.project}-redis"
  hostname = "redis"
  image    = docker_image.pulled["REDIS_IMAGE"].image_id
  # A cache: bounded, evicting the least recently used keys, nothing written to disk. `--save` with no
  # value turns snapshots off (the provider refuses the empty argument Compose passes: the first
  # live apply failed with "values for command may not be empty").
  command = ["redis-server", "--save", "--appendonly", "no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"]
  networks_advanced {
    name    = docker_network.back.id
    aliases = ["redis"]
  }
  healthcheck {
    test     = ["CMD", "redis-cli", "ping"]
    interval = "5s"
    timeout  = "3s"
    retries  = 10
  }
  wait       = true
  restart    = "unless-stopped"
  memory     = 320
  log_driver = "json-file"
  log_opts   = local.log_opts
}

# Runs `migrate` once per apply, before any replica starts; a failure stops the apply.
resource "docker_container" "migrate" {
  name     = "${var.project}-migrate"
  image    = local.image_ids.web
  command  = ["python", "/app/app/manage.py", "migrate", "--noinput"]
  env      = [for key, value in local.django_env : "${key}=${value}"]
  attach   = true
  logs     = true
  must_run = false
  networks_advanced {
    name = docker_network.back.id
  }
  # A one-shot job: its exit code is its health.
  healthcheck {
    test = ["NONE"]
  }
  memory     = 512
  log_driver = "json-file"
  log_opts   = local.log_opts
  depends_on = [docker_container.postgres]
}
