# Scheduled backups: `manage.py backup` (pg_dump + the uploads) at start and every
# var.backup_interval_seconds into the backups volume; its status file, on a volume the web replicas
# mount read-only, becomes backup_last_success_timestamp_seconds (alert BackupTooOld).

locals {
  # The web image's folder for status files written by jobs outside the replicas (Dockerfile).
  backup_status_file = "/srv/status/backup.json"
}

resource "docker_container" "backup" {
  name     = "${var.project}-backup"
  hostname = "backup"
  image    = docker_image.backup.image_id
  env = [for key, value in merge(local.django_env, {
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
  read_only = true
  tmpfs     = { "/tmp" = "rw,noexec,nosuid,size=64m" }

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

  depends_on = [docker_container.migrate]
}
