# The production readiness checklist on a schedule (`python -m checklist --every`: every
# ProductionReadinessChecklistStale interval), checking this deployment through its nginx and
# Prometheus; its results, on the status volume the replicas mount, become
# tweetstack_checklist_item_status (alert ProductionReadinessItemFailing).

resource "docker_container" "checklist" {
  # checkov:skip=CKV2_TWEETSTACK_4: no healthcheck; ProductionReadinessChecklistStale fires when its runs stop
  name     = "${var.project}-checklist"
  hostname = "checklist"
  image    = docker_image.checklist.image_id
  command = [
    "python", "-m", "checklist", "--every",
    "--url", "http://nginx:${local.ports.nginx}",
    "--prometheus", "http://prometheus:${local.ports.prometheus}",
    "--manage", "python /app/app/manage.py",
  ]
  env = [for key, value in merge(local.django_env, { BACKUP_STATUS_FILE = local.backup_status_file }) : "${key}=${value}"]

  networks_advanced {
    name = docker_network.front.id
  }
  networks_advanced {
    name = docker_network.back.id
  }
  volumes {
    volume_name    = docker_volume.data["backup-status"].name
    container_path = dirname(local.backup_status_file)
  }
  read_only = true
  tmpfs     = { "/tmp" = "rw,noexec,nosuid,size=64m" }

  restart    = "unless-stopped"
  memory     = 256
  log_driver = "json-file"
  log_opts   = local.log_opts

  depends_on = [docker_container.migrate]
}
