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

resource "docker_container" "backup" {
  name     = "${var.project}-backup"
  hostname = "backup"
  image    = local.image_ids.backup
  command  = ["/bin/sh", "-c", "pgbackrest stanza-create && exec python /app/app/manage.py backup --every"]
  env = [for key, value in merge(local.django_env, local.pgbackrest_env, {
    BACKUP_METHOD           = "pgbackrest"
    BACKUP_DIR              = "/backups"
    BACKUP_STATUS_FILE      = local.backup_status_file
    BACKUP_KEEP             = tostring(var.backup_keep)
    BACKUP_INTERVAL_SECONDS = tostring(var.backup_interval_seconds)
  }) : "${key}=${value}"]

  networks_advanced {
    name = docker_network.back.id
  }
  volumes {
    volume_name    = docker_volume.data["backups"].name
    container_path = "/backups"
  }
  volumes {
    volume_name    = docker_volume.data["backup-status"].name
    container_path = dirname(local.backup_status_file)
  }
  volumes {
    volume_name    = docker_volume.data["media"].name
    container_path = "/srv/media"
    read_only      = true
  }
  volumes {
    volume_name    = docker_volume.data["pgdata"].name
    container_path = "/var/lib/postgresql/data"
    read_only      = true
  }
  dynamic "volumes" {
    for_each = local.pgbackrest_volumes
    content {
      volume_name    = docker_volume.data[volumes.key].name
      container_path = volumes.value
    }
  }
  read_only = true
  # The restore drill's scratch server restores into /tmp (noexec does not stop PostgreSQL's files).
  tmpfs = { "/tmp" = "rw,noexec,nosuid,size=1024m" }

  # Healthy while the last backup is younger than the interval plus an hour (the image's check).
  healthcheck {
    test         = ["CMD", "python", "-c", "import json, os, sys, time; s = json.load(open(os.environ['BACKUP_STATUS_FILE'])); sys.exit(time.time() - s['backup_last_success_timestamp_seconds'] > int(os.environ['BACKUP_INTERVAL_SECONDS']) + 3600)"]
    interval     = "60s"
    timeout      = "5s"
    retries      = 1
    start_period = "10m"
  }
  restart    = "unless-stopped"
  memory     = 512
  log_driver = "json-file"
  log_opts   = local.log_opts

  depends_on = [docker_container.migrate, docker_container.postgres]
}
