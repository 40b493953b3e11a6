# Terraform and provider versions for the tweet stack on a Docker host (kreuzwerker/docker).
# Loaded by `terraform init` in this folder; the provider is built locally by provider/build.sh.

terraform {
  # 1.7+: `terraform test` with mock_provider (tests/); 1.9+: validations that read other variables
  # (alert_secrets against alerting, and modules/container's).
  required_version = ">= 1.9.0"

  required_providers {
    docker = {
      source = "kreuzwerker/docker"
      # The version provider/go.mod builds; registry users get the same release.
      version = "4.6.0"
    }
  }
}

provider "docker" {
  host = var.docker_host

  # Pulls of release_images from a registry that needs a login, with the credentials `docker login`
  # stored for the Docker CLI (deploy.yml logs in first).
  dynamic "registry_auth" {
    for_each = var.registry_address == "" ? [] : [var.registry_address]
    content {
      address     = registry_auth.value
      config_file = pathexpand("~/.docker/config.json")
    }
  }
}
