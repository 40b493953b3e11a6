# What `terraform apply` prints: where to reach the stack (UIs other than the site are on the
# Docker host's loopback or its internal network only).

output "site_url" {
  description = "The public site (nginx over HTTPS; its plain-HTTP port redirects there)."
  value       = "https://${var.public_bind_address == "0.0.0.0" ? "localhost" : var.public_bind_address}:${local.https_public_port}/"
}

output "grafana_url" {
  description = "Grafana, on the Docker host's loopback."
  value       = "http://127.0.0.1:${local.ports.grafana}/"
}

output "internal_urls" {
  description = "Prometheus, Alertmanager and Jaeger on the stack's back network (e.g. from Grafana)."
  value = {
    prometheus   = "http://prometheus:${local.ports.prometheus}/"
    alertmanager = "http://alertmanager:${local.ports.alertmanager}/"
    jaeger       = "http://jaeger:${local.ports.jaeger_ui}/"
  }
}

output "web_replicas" {
  description = "Names of the web containers behind nginx."
  value       = module.web[*].name
}

output "checklist" {
  description = "The checklist's container and one run's command in it (`docker exec <container> <command...>`), as scripts/deploy.sh runs it after an apply."
  value       = { container = module.checklist.name, command = local.checklist_command }
}
