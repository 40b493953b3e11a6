# Scheduled backups: the stanza made (idempotent), then `manage.py backup --every`: a pgBackRest backup
# (full once the last full is a week old, else incremental) plus the uploads, at start and every
# var.backup_interval_seconds, keeping manifests in the backups volume; its status file, on a volume the
# web replicas mount read-only, becomes backup_last_success_timestamp_seconds and
# pgbackrest_backup_last_timestamp_seconds (alert BackupTooOld and the pgBackRest ones). It reads the
# server's data folder and socket, as docker-compose.yml's backup service.

locals {
  # The web image's folder for status files written by jobs outside the replicas (Dockerfile).
  backup_status_file = "/srv/status/backup.json"
}

module "backup" {
  source   = "./modules/container"
  name     = "${var.project}-backup"
  hostname = "backup"
  image    = local.image_ids.backup
  command  = ["/bin/sh", "-c", "pgbackrest stanza-create && exec python /app/app/manage.py backup --every"]
  env = merge(local.django_env, local.pgbackrest_env, {
    BACKUP_METHOD           = "pgbackrest"
    BACKUP_DIR              = "/backups"
    BACKUP_STATUS_FILE      = local.backup_status_file
    BACKUP_KEEP             = tostring(var.backup_keep)
    BACKUP_INTERVAL_SECONDS = tostring(var.backup_interval_seconds)
  })

  networks_advanced = concat([{ name = docker_network.back.id }], local.offsite_networks)
  volumes = concat([
    { volume_name = docker_volume.data["backups"].name, container_path = "/backups" },
    { volume_name = docker_volume.data["backup-status"].name, container_path = dirname(local.backup_status_file) },
    { volume_name = docker_volume.data["media"].name, container_path = "/srv/media", read_only = true },
    { volume_name = docker_volume.data["pgdata"].name, container_path = "/var/lib/postgresql/data", read_only = true },
    ], [for volume, path in local.pgbackrest_volumes : { volume_name = docker_volume.data[volume].name, container_path = path }],
  )
  # A read-only root (the module's default); the restore drill's scratch server restores into /tmp
  # (noexec does not stop PostgreSQL's files).
  tmpfs = { "/tmp" = "rw,noexec,nosuid,size=1024m" }

  # Healthy while the last backup is younger than the interval plus an hour (the image's check).
  healthcheck = {
    test         = ["CMD", "python", "-c", "import json, os, sys, time; s = json.load(open(os.environ['BACKUP_STATUS_FILE'])); sys.exit(time.time() - s['backup_last_success_timestamp_seconds'] > int(os.environ['BACKUP_INTERVAL_SECONDS']) + 3600)"]
    interval     = "60s"
    timeout      = "5s"
    retries      = 1
    start_period = "10m"
  }
  # Healthy once a backup is written, which the apply does not wait for.
  wait         = false
  memory       = 512
  stop_timeout = null

  depends_on = [module.migrate, module.postgres]
}
