# Terraform and provider versions of the container module (one Docker container, the stack's defaults).
# Loaded by `terraform init` through each module "<service>" call of terraform/; the root pins the release.

terraform {
  # 1.9+: validations that read the module's other variables (a healthcheck of NONE needs must_run = false).
  required_version = ">= 1.9.0"

  required_providers {
    docker = {
      source  = "kreuzwerker/docker"
      version = "~> 4.6"
    }
  }
}
