# What the container module gives its caller: the container's id, name and hostname, and the whole
# planned container for assertions (terraform/tests/stack.tftest.hcl reads its arguments through it).

output "id" {
  description = "The container's id; another container joins its network namespace with network_mode = \"container:<id>\"."
  value       = docker_container.this.id
}

output "name" {
  description = "The container's name, as `docker ps` shows it."
  value       = docker_container.this.name
}

output "hostname" {
  description = "The container's hostname (var.hostname, or Docker's: the id's first 12 characters)."
  value       = docker_container.this.hostname
}

output "container" {
  description = "The docker_container resource itself, every argument as planned (env, ports, volumes, upload, healthcheck...)."
  value       = docker_container.this
}
