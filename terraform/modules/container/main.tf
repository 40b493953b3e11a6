# One Docker container with the stack's safe defaults: restarted unless stopped, capped json-file logs,
# a memory limit and a healthcheck (both required), a read-only root with a /tmp tmpfs, a stop timeout.
# Loaded by the module "<service>" calls of terraform/ (data.tf, web.tf, nginx.tf, ...); see variables.tf.

locals {
  checked = var.healthcheck.test[0] != "NONE"
}

resource "docker_container" "this" {
  name       = var.name
  hostname   = var.hostname
  image      = var.image
  command    = var.command
  entrypoint = var.entrypoint
  # Unset rather than empty: the provider reads the image's environment back into an unset env.
  env = length(var.env) > 0 ? [for key, value in var.env : "${key}=${value}"] : null

  network_mode = var.network_mode
  dynamic "networks_advanced" {
    for_each = var.networks_advanced
    content {
      name    = networks_advanced.value.name
      aliases = networks_advanced.value.aliases
    }
  }
  dynamic "ports" {
    for_each = var.ports
    content {
      internal = ports.value.internal
      external = ports.value.external
      ip       = ports.value.ip
      protocol = ports.value.protocol
    }
  }
  dynamic "volumes" {
    for_each = var.volumes
    content {
      volume_name    = volumes.value.volume_name
      container_path = volumes.value.container_path
      read_only      = volumes.value.read_only
    }
  }
  dynamic "upload" {
    for_each = var.uploads
    content {
      file    = upload.key
      content = upload.value
    }
  }

  read_only = var.read_only
  tmpfs     = length(var.tmpfs) > 0 ? var.tmpfs : null

  healthcheck {
    test = var.healthcheck.test
    # A NONE check has no timings: a one-shot container's exit code is its health.
    interval     = local.checked ? var.healthcheck.interval : null
    timeout      = local.checked ? var.healthcheck.timeout : null
    retries      = local.checked ? var.healthcheck.retries : null
    start_period = var.healthcheck.start_period
  }
  wait         = var.wait
  wait_timeout = var.wait_timeout

  attach   = var.attach
  logs     = var.logs
  must_run = var.must_run

  restart      = var.restart
  stop_signal  = var.stop_signal
  stop_timeout = var.stop_timeout
  memory       = var.memory
  log_driver   = var.log_driver
  log_opts     = var.log_opts
}
