# Inputs of the container module: what the container runs and where (required or unset by default), and
# the safe defaults (restart, logs, read-only root, /tmp tmpfs, stop timeout, wait), which a caller
# overrides by name. Set by each module "<service>" call of terraform/.

# --- what runs

variable "name" {
  description = "The container's name (unique on the Docker host)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", var.name))
    error_message = "name must be a Docker container name: letters, digits, _ . -, not starting with a symbol."
  }
}

variable "image" {
  description = "The image to run: an image id (docker_image.<x>.image_id) or a pinned reference."
  type        = string
}

variable "hostname" {
  description = "The container's hostname; null: Docker's (the id's first 12 characters). Must be null with network_mode container:<id>."
  type        = string
  default     = null
}

variable "command" {
  description = "The command (the image's CMD); null: the image's."
  type        = list(string)
  default     = null
}

variable "entrypoint" {
  description = "The entrypoint; null: the image's."
  type        = list(string)
  default     = null
}

variable "env" {
  description = "Environment variables by name; empty: the image's only."
  type        = map(string)
  default     = {}
}

variable "memory" {
  description = "Memory limit in MB (required: a container without one can take the host's memory)."
  type        = number

  validation {
    condition     = var.memory >= 6 && floor(var.memory) == var.memory
    error_message = "memory must be a whole number of MB, at least 6 (Docker's minimum)."
  }
}

variable "healthcheck" {
  description = "The healthcheck (required): test as Docker takes it ([\"CMD\", ...] or [\"CMD-SHELL\", \"...\"]), durations such as \"10s\" (by default every 10 s, 3 s to answer, unhealthy after 3 failures); [\"NONE\"] only for a one-shot container (must_run = false), whose exit code is its health."
  type = object({
    test         = list(string)
    interval     = optional(string, "10s")
    timeout      = optional(string, "3s")
    retries      = optional(number, 3)
    start_period = optional(string)
  })

  validation {
    condition     = contains(["CMD", "CMD-SHELL", "NONE"], try(var.healthcheck.test[0], ""))
    error_message = "healthcheck.test must start with CMD, CMD-SHELL or NONE."
  }
  validation {
    condition     = try(var.healthcheck.test[0], "") != "NONE" || !var.must_run
    error_message = "a healthcheck of NONE is for one-shot containers only (must_run = false); a long-running container needs a check."
  }
}

# --- where it runs

variable "networks_advanced" {
  description = "Networks to join, by id (docker_network.<x>.id), each with optional DNS aliases."
  type = list(object({
    name    = string
    aliases = optional(list(string))
  }))
  default = []
}

variable "network_mode" {
  description = "Network mode: bridge (the provider's default, written out so that checkov reads it), or \"container:<id>\" to share another container's network namespace (then no networks_advanced, no hostname). The host's network is refused."
  type        = string
  default     = "bridge"
  nullable    = false

  validation {
    condition     = var.network_mode != "host"
    error_message = "network_mode = \"host\" gives the container the host's network stack; use networks_advanced."
  }
  validation {
    condition     = !startswith(var.network_mode, "container:") || (length(var.networks_advanced) == 0 && var.hostname == null)
    error_message = "a container in another container's network namespace takes no networks_advanced and no hostname (Docker refuses both)."
  }
}

variable "ports" {
  description = "Ports to publish on the Docker host: internal (the container's), external (the host's), ip (the host address; null: every interface), protocol (null: tcp)."
  type = list(object({
    internal = number
    external = optional(number)
    ip       = optional(string)
    protocol = optional(string)
  }))
  default = []
}

variable "volumes" {
  description = "Named volumes to mount: volume_name (docker_volume.<x>.name), container_path, read_only (null: read-write)."
  type = list(object({
    volume_name    = string
    container_path = string
    read_only      = optional(bool)
  }))
  default = []
}

variable "uploads" {
  description = "Files to write into the container before it starts, by absolute path: their content (the container is recreated when one changes). Needs a writable root: read_only = false."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for path in keys(var.uploads) : startswith(path, "/")])
    error_message = "uploads are keyed by absolute paths in the container."
  }
}

# --- the safe defaults

variable "read_only" {
  description = "Mount the root filesystem read-only (writes go to volumes and tmpfs). false: writable, as uploads need."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = !var.read_only || length(var.uploads) == 0
    error_message = "uploads are written into the container's root filesystem, which read_only refuses (\"container rootfs is marked read-only\"): set read_only = false."
  }
}

variable "tmpfs" {
  description = "tmpfs mounts, by path: their mount options. {}: none."
  type        = map(string)
  default     = { "/tmp" = "rw,noexec,nosuid,size=64m" }
  nullable    = false

  validation {
    condition     = alltrue([for path in keys(var.tmpfs) : startswith(path, "/")])
    error_message = "tmpfs mounts are keyed by absolute paths in the container."
  }
}

variable "restart" {
  description = "Restart policy: unless-stopped (long-running), or no for a one-shot container."
  type        = string
  default     = "unless-stopped"
  nullable    = false

  validation {
    condition     = contains(["no", "on-failure", "always", "unless-stopped"], var.restart)
    error_message = "restart must be no, on-failure, always or unless-stopped."
  }
}

variable "stop_timeout" {
  description = "Seconds the container has to exit after its stop signal before it is killed; null: Docker's default (10)."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout == null ? true : var.stop_timeout > 0 && floor(var.stop_timeout) == var.stop_timeout
    error_message = "stop_timeout must be a whole number of seconds, at least 1."
  }
}

variable "stop_signal" {
  description = "The signal that stops the container (e.g. SIGQUIT for nginx's graceful stop); null: the image's."
  type        = string
  default     = null
}

variable "log_driver" {
  description = "Docker's log driver for the container's stdout and stderr."
  type        = string
  default     = "json-file"
  nullable    = false
}

variable "log_opts" {
  description = "Options of the log driver: the stack's rotation (three files of 10 MB) by default."
  type        = map(string)
  default     = { "max-size" = "10m", "max-file" = "3" }
  nullable    = false
}

variable "wait" {
  description = "Wait, at create, until the container is healthy (false for containers whose health comes later, or one-shot)."
  type        = bool
  default     = true
  nullable    = false
}

variable "wait_timeout" {
  description = "Seconds to wait for health when wait = true; null: the provider's default (60)."
  type        = number
  default     = null
}

# --- one-shot containers (e.g. migrations): run to completion during the apply

variable "must_run" {
  description = "The container is kept running; false for a one-shot container that exits (its healthcheck then may be NONE)."
  type        = bool
  default     = true
  nullable    = false
}

variable "attach" {
  description = "Wait for the container to exit during the apply (a one-shot container; an error exit fails the apply)."
  type        = bool
  default     = false
  nullable    = false
}

variable "logs" {
  description = "Keep the output of an attached container (container_logs)."
  type        = bool
  default     = false
  nullable    = false
}
