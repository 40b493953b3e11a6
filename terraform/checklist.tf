# The production readiness checklist on a schedule (`python -m checklist --every`: every
# ProductionReadinessChecklistStale interval), checking this deployment through its nginx and
# Prometheus; its results, on the status volume the replicas mount, become
# tweetstack_checklist_item_status (alert ProductionReadinessItemFailing).

locals {
  # One run of the checklist in this container (output "checklist": scripts/deploy.sh runs it once after an apply).
  checklist_command = [
    "python", "-m", "checklist",
    "--url", "https://localhost:${local.ports.nginx_https}",
    # The certificate is verified for the site's name (it need not name localhost) with var.tls_ca_file.
    "--server-name", coalesce(var.tls_server_name, var.allowed_hosts[0]),
    "--ca-file", "/etc/tweetstack/tls/ca.crt",
    "--prometheus", "http://prometheus:${local.ports.prometheus}",
    "--manage", "python /app/app/manage.py",
  ]
}

module "checklist" {
  source = "./modules/container"
  name   = "${var.project}-checklist"
  image  = local.image_ids.checklist
  # In nginx's network namespace, so the site is checked as `localhost`, a host every replica
  # allows (the image's entrypoint adds it), whatever the public name is.
  network_mode = "container:${module.nginx.id}"
  command      = concat(local.checklist_command, ["--every"])
  env          = merge(local.django_env, { BACKUP_STATUS_FILE = local.backup_status_file })

  volumes = [{ volume_name = docker_volume.data["backup-status"].name, container_path = dirname(local.backup_status_file) }]
  uploads = { "/etc/tweetstack/tls/ca.crt" = file(var.tls_ca_file) }
  # Not read_only: the provider uploads the CA into the container's filesystem, which a read-only
  # root refuses ("container rootfs is marked read-only"). /tmp: the module's tmpfs.
  read_only = false

  # Healthy while its scheduled runs keep finishing (the image's check), which the apply does not wait for.
  healthcheck = {
    test         = ["CMD", "python", "-m", "checklist", "--healthcheck"]
    interval     = "60s"
    timeout      = "10s"
    retries      = 1
    start_period = "5m"
  }
  wait         = false
  memory       = 256
  stop_timeout = null

  depends_on = [module.migrate, module.nginx]
}
