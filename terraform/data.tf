# PostgreSQL, Redis and the one-shot migration container the web replicas wait for.
# Loaded by terraform in this folder (see main.tf for the shared locals).

module "postgres" {
  source   = "./modules/container"
  name     = "${var.project}-postgres"
  hostname = "postgres"
  image    = local.image_ids.postgres
  # WAL archived continuously into the pgbackrest volume (postgres/archiving.conf, through container.conf).
  # Restore, to the end of the WAL or to a moment: scripts/terraform-restore.sh.
  command = ["postgres", "-c", "config_file=/etc/tweetstack/postgres/container.conf"]
  env = merge(local.pgbackrest_env, {
    PGPORT            = local.port_variables.POSTGRES_PORT
    POSTGRES_USER     = local.postgres_user
    POSTGRES_DB       = local.postgres_db
    POSTGRES_PASSWORD = var.postgres_password
  })
  networks_advanced = concat([{ name = docker_network.back.id, aliases = ["postgres"] }], local.offsite_networks)
  volumes = concat(
    [{ volume_name = docker_volume.data["pgdata"].name, container_path = "/var/lib/postgresql/data" }],
    [for volume, path in local.pgbackrest_volumes : { volume_name = docker_volume.data[volume].name, container_path = path }],
  )
  healthcheck = {
    test         = ["CMD-SHELL", "pg_isready -U \"$POSTGRES_USER\" -d \"$POSTGRES_DB\" -h 127.0.0.1"]
    interval     = "5s"
    retries      = 10
    start_period = "20s"
  }
  wait_timeout = 120
  memory       = 1024
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
}

module "redis" {
  source   = "./modules/container"
  name     = "${var.project}-redis"
  hostname = "redis"
  image    = docker_image.pulled["REDIS_IMAGE"].image_id
  # A cache: bounded, evicting the least recently used keys, nothing written to disk. `--save` with no
  # value turns snapshots off (the provider refuses the empty argument Compose passes: the first
  # live apply failed with "values for command may not be empty").
  command           = ["redis-server", "--save", "--appendonly", "no", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"]
  networks_advanced = [{ name = docker_network.back.id, aliases = ["redis"] }]
  healthcheck = {
    test     = ["CMD", "redis-cli", "ping"]
    interval = "5s"
    retries  = 10
  }
  memory       = 320
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
}

# Runs `migrate` once per apply, before any replica starts; a failure stops the apply.
module "migrate" {
  source            = "./modules/container"
  name              = "${var.project}-migrate"
  image             = local.image_ids.web
  command           = ["python", "/app/app/manage.py", "migrate", "--noinput"]
  env               = local.django_env
  networks_advanced = [{ name = docker_network.back.id }]
  # A one-shot job: its exit code is its health.
  healthcheck  = { test = ["NONE"] }
  attach       = true
  logs         = true
  must_run     = false
  restart      = "no"
  wait         = false
  memory       = 512
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
  depends_on   = [module.postgres]
}
