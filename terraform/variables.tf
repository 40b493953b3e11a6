# Inputs of the tweet stack's Terraform configuration: replicas, secrets (required, no defaults), hosts, ports.
# Set them in terraform.tfvars (see terraform.tfvars.example) or TF_VAR_* environment variables.

variable "docker_host" {
  description = "Docker engine to provision on (unix socket or ssh://user@host)."
  type        = string
  default     = "unix:///var/run/docker.sock"
}

variable "project" {
  description = "Prefix of every container, network and volume name."
  type        = string
  default     = "tweetstack"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.project))
    error_message = "project must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "web_replicas" {
  description = "Number of web (gunicorn + Django) containers behind nginx."
  type        = number
  default     = 2

  validation {
    condition     = var.web_replicas >= 1 && var.web_replicas <= 20 && floor(var.web_replicas) == var.web_replicas
    error_message = "web_replicas must be a whole number from 1 to 20."
  }
}

variable "web_concurrency" {
  description = "gunicorn worker processes per web replica (WEB_CONCURRENCY)."
  type        = number
  default     = 2

  validation {
    condition     = var.web_concurrency >= 1 && var.web_concurrency <= 16
    error_message = "web_concurrency must be from 1 to 16."
  }
}

variable "django_secret_key" {
  description = "Django SECRET_KEY: at least 50 random characters (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.django_secret_key) >= 50 && !startswith(var.django_secret_key, "django-insecure")
    error_message = "django_secret_key must be at least 50 random characters, not a django-insecure default."
  }
}

variable "postgres_password" {
  description = "Password of the PostgreSQL role the app uses."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.postgres_password) >= 16 && !contains(["change-me", "changeme", "postgres", "password"], var.postgres_password)
    error_message = "postgres_password must be at least 16 characters and not a well-known default."
  }
}

variable "pgbackrest_cipher_pass" {
  description = "Passphrase pgBackRest encrypts its repository (base backups and archived WAL) with; keep a copy off the host."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.pgbackrest_cipher_pass) >= 16 && !contains(["change-me", "changeme", "password"], var.pgbackrest_cipher_pass)
    error_message = "pgbackrest_cipher_pass must be at least 16 characters and not a well-known default."
  }
}

variable "metrics_token" {
  description = "Bearer token Prometheus sends to the web replicas' /metrics (METRICS_TOKEN)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.metrics_token) >= 24
    error_message = "metrics_token must be at least 24 characters."
  }
}

variable "grafana_admin_password" {
  description = "Password of Grafana's admin user."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.grafana_admin_password) >= 12 && !contains(["admin", "change-me", "changeme"], var.grafana_admin_password)
    error_message = "grafana_admin_password must be at least 12 characters and not a well-known default."
  }
}

variable "allowed_hosts" {
  description = "Host names the site answers to (DJANGO_ALLOWED_HOSTS); never \"*\"."
  type        = list(string)
  default     = ["localhost", "127.0.0.1"]

  validation {
    condition     = length(var.allowed_hosts) > 0 && !contains(var.allowed_hosts, "*")
    error_message = "allowed_hosts must list the site's host names and must not contain \"*\"."
  }
}

variable "tls_cert_file" {
  description = "Path (on the machine running terraform) of the certificate chain nginx serves over HTTPS, PEM: the leaf first, then its intermediates."
  type        = string

  validation {
    condition     = fileexists(var.tls_cert_file)
    error_message = "tls_cert_file must be the path of an existing file (the certificate chain, PEM)."
  }
}

variable "tls_key_file" {
  description = "Path (on the machine running terraform) of the certificate's private key, PEM. Its content is uploaded into nginx and kept in the state, as the other secrets are."
  type        = string

  validation {
    condition     = fileexists(var.tls_key_file)
    error_message = "tls_key_file must be the path of an existing file (the private key, PEM)."
  }
}

variable "tls_ca_file" {
  description = "Path of the CA bundle the checklist verifies the site's certificate with: a public CA's roots, or the CA that issued it."
  type        = string
  default     = "/etc/ssl/certs/ca-certificates.crt"

  validation {
    condition     = fileexists(var.tls_ca_file)
    error_message = "tls_ca_file must be the path of an existing file (a CA bundle, PEM)."
  }
}

variable "tls_server_name" {
  description = "The name the certificate is issued for, which the checklist verifies (default: the first of allowed_hosts)."
  type        = string
  default     = null
}

variable "public_port" {
  description = "Host port nginx's plain-HTTP listener is published on (default: nginx's own, NGINX_PORT of ports.env); it redirects to HTTPS, except /healthz."
  type        = number
  default     = null

  validation {
    condition     = var.public_port == null ? true : var.public_port >= 1 && var.public_port <= 65535
    error_message = "public_port must be a TCP port (1-65535)."
  }
}

variable "https_public_port" {
  description = "Host port nginx's HTTPS listener is published on, the site's (default: nginx's own, NGINX_HTTPS_PORT of ports.env)."
  type        = number
  default     = null

  validation {
    condition     = var.https_public_port == null ? true : var.https_public_port >= 1 && var.https_public_port <= 65535
    error_message = "https_public_port must be a TCP port (1-65535)."
  }
}

variable "public_bind_address" {
  description = "Host address nginx is published on (0.0.0.0 for every interface)."
  type        = string
  default     = "127.0.0.1"
}

variable "image_max_bytes" {
  description = "Largest image upload the app accepts (default: IMAGE_MAX_BYTES of app/config/limits.env); nginx's body limit follows it."
  type        = number
  default     = null

  validation {
    condition     = var.image_max_bytes == null ? true : var.image_max_bytes >= 65536 && var.image_max_bytes <= 52428800
    error_message = "image_max_bytes must be from 64 KiB to 50 MiB."
  }
}

variable "sentry_dsn" {
  description = "Sentry DSN; empty turns error reporting off."
  type        = string
  default     = ""
  sensitive   = true
}

variable "image_overrides" {
  description = "Images to use instead of versions.env's, by its variable name (e.g. POSTGRES_IMAGE); each pinned to a version tag or digest."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for image in values(var.image_overrides) :
      can(regex("^[^:@]+(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[0-9a-f]{64})$", image)) && !endswith(image, ":latest")
    ])
    error_message = "Every image override must carry a version tag (not latest) or a sha256 digest."
  }
}

variable "release_images" {
  description = "A release's images to run instead of building them from the checkout, by name (web, nginx, postgres, backup, checklist, otelcol, mtail), each pinned by digest: the lines scripts/publish_images.sh prints (.github/workflows/deploy.yml passes them)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.release_images) : contains(keys(local.builds), name)])
    error_message = "release_images takes web, nginx, postgres, backup, checklist, otelcol and mtail."
  }
  validation {
    condition     = alltrue([for image in values(var.release_images) : can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", image))])
    error_message = "Every release image is pinned by digest (<repository>@sha256:<64 hex>): a tag can move between staging and production."
  }
}

variable "registry_address" {
  description = "The registry release_images come from when pulling needs a login (e.g. ghcr.io), with the credentials `docker login` stored; empty pulls without one."
  type        = string
  default     = ""
}

variable "offsite_repository" {
  description = "pgBackRest's second repository, off the host on an S3 store (as docker-compose.offsite.yml): endpoint (the store's host name), bucket, region, key and key_secret, cipher_pass (the copy's own passphrase; keep it off the host too); optional path, uri_style (host or path), port, retention_full. The store's certificate is verified against the images' CA bundle. Null: no off-host copy."
  type = object({
    endpoint       = string
    bucket         = string
    region         = string
    key            = string
    key_secret     = string
    cipher_pass    = string
    path           = optional(string, "/tweetstack")
    uri_style      = optional(string, "host")
    port           = optional(number, 443)
    retention_full = optional(number, 2)
  })
  default   = null
  sensitive = true

  validation {
    condition     = var.offsite_repository == null ? true : contains(["host", "path"], var.offsite_repository.uri_style)
    error_message = "offsite_repository.uri_style is host (bucket.endpoint) or path (endpoint/bucket)."
  }
  validation {
    condition     = var.offsite_repository == null ? true : length(var.offsite_repository.cipher_pass) >= 16
    error_message = "offsite_repository.cipher_pass must be at least 16 characters."
  }
}

variable "backup_build_args" {
  description = "Further build arguments of the backup image, e.g. POSTGRES_CLIENT_APT_SOURCE and POSTGRES_CLIENT_APT_KEY_URL where PGDG cannot be reached (see the Dockerfile's backup stage)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name in keys(var.backup_build_args) : startswith(name, "POSTGRES_CLIENT_")])
    error_message = "Only the POSTGRES_CLIENT_* build arguments may be given; the images are pinned in versions.env."
  }
}

variable "backup_interval_seconds" {
  description = "Seconds between scheduled backups (BACKUP_INTERVAL_SECONDS); the BackupTooOld alert expects at least one a day."
  type        = number
  default     = 86400

  validation {
    condition     = var.backup_interval_seconds >= 300 && var.backup_interval_seconds <= 86400
    error_message = "backup_interval_seconds must be from 300 (5 minutes) to 86400 (a day)."
  }
}

variable "backup_keep" {
  description = "How many backups the backups volume keeps (BACKUP_KEEP); older ones are pruned after a success."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_keep >= 1 && floor(var.backup_keep) == var.backup_keep
    error_message = "backup_keep must be a whole number of at least 1."
  }
}

variable "alerting" {
  description = "Where alerts go: \"sink\" (the alert-sink container's log) or \"production\" (PagerDuty, Slack and email as monitoring/alertmanager/receivers.production.yml says, with alert_secrets)."
  type        = string
  default     = "sink"

  validation {
    condition     = contains(["sink", "production"], var.alerting)
    error_message = "alerting must be \"sink\" or \"production\"."
  }
}

variable "alert_secrets" {
  description = "Credentials of the production receivers, each uploaded as /etc/alertmanager/secrets/<name>: pagerduty_routing_key, slack_webhook_url, smtp_password, watchdog_token. Required when alerting = \"production\"."
  type        = map(string)
  default     = {}
  sensitive   = true

  validation {
    condition     = alltrue([for value in values(var.alert_secrets) : value != "" && value == trimspace(value)])
    error_message = "alert_secrets values must not be empty or end in whitespace (Alertmanager sends the SMTP password file's bytes as they are)."
  }
  validation {
    condition     = var.alerting != "production" || toset(nonsensitive(keys(var.alert_secrets))) == local.alert_secret_names
    error_message = "alerting = \"production\" needs alert_secrets with exactly: ${join(", ", sort(local.alert_secret_names))}."
  }
}
