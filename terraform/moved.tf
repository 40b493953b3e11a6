# Where the containers' state was before modules/container: each docker_container.<service> is now
# module.<service>.docker_container.this, moved rather than destroyed and recreated. Loaded by terraform
# in this folder; an apply records the moves, after which these blocks change nothing.

moved {
  from = docker_container.postgres
  to   = module.postgres.docker_container.this
}

moved {
  from = docker_container.redis
  to   = module.redis.docker_container.this
}

moved {
  from = docker_container.migrate
  to   = module.migrate.docker_container.this
}

moved {
  from = docker_container.nginx
  to   = module.nginx.docker_container.this
}

moved {
  from = docker_container.backup
  to   = module.backup.docker_container.this
}

moved {
  from = docker_container.checklist
  to   = module.checklist.docker_container.this
}

moved {
  from = docker_container.otelcol
  to   = module.otelcol.docker_container.this
}

moved {
  from = docker_container.jaeger
  to   = module.jaeger.docker_container.this
}

moved {
  from = docker_container.prometheus
  to   = module.prometheus.docker_container.this
}

moved {
  from = docker_container.alertmanager
  to   = module.alertmanager.docker_container.this
}

moved {
  from = docker_container.alert_sink
  to   = module.alert_sink.docker_container.this
}

moved {
  from = docker_container.loki
  to   = module.loki.docker_container.this
}

moved {
  from = docker_container.grafana
  to   = module.grafana.docker_container.this
}

moved {
  from = docker_container.postgres_exporter
  to   = module.postgres_exporter.docker_container.this
}

moved {
  from = docker_container.redis_exporter
  to   = module.redis_exporter.docker_container.this
}

moved {
  from = docker_container.nginx_exporter
  to   = module.nginx_exporter.docker_container.this
}

moved {
  from = docker_container.mtail
  to   = module.mtail.docker_container.this
}

moved {
  from = docker_container.node_exporter
  to   = module.node_exporter.docker_container.this
}

moved {
  from = docker_container.blackbox_exporter
  to   = module.blackbox_exporter.docker_container.this
}

# The web replicas are counted by the module call, and a move names each instance (a moved block takes no
# count): docker_container.web[i] -> module.web[i]. var.web_replicas validates 1 to 20, so indexes 0 to 19
# cover every state written before the module; a block whose `from` is not in the state does nothing.

moved {
  from = docker_container.web[0]
  to   = module.web[0].docker_container.this
}

moved {
  from = docker_container.web[1]
  to   = module.web[1].docker_container.this
}

moved {
  from = docker_container.web[2]
  to   = module.web[2].docker_container.this
}

moved {
  from = docker_container.web[3]
  to   = module.web[3].docker_container.this
}

moved {
  from = docker_container.web[4]
  to   = module.web[4].docker_container.this
}

moved {
  from = docker_container.web[5]
  to   = module.web[5].docker_container.this
}

moved {
  from = docker_container.web[6]
  to   = module.web[6].docker_container.this
}

moved {
  from = docker_container.web[7]
  to   = module.web[7].docker_container.this
}

moved {
  from = docker_container.web[8]
  to   = module.web[8].docker_container.this
}

moved {
  from = docker_container.web[9]
  to   = module.web[9].docker_container.this
}

moved {
  from = docker_container.web[10]
  to   = module.web[10].docker_container.this
}

moved {
  from = docker_container.web[11]
  to   = module.web[11].docker_container.this
}

moved {
  from = docker_container.web[12]
  to   = module.web[12].docker_container.this
}

moved {
  from = docker_container.web[13]
  to   = module.web[13].docker_container.this
}

moved {
  from = docker_container.web[14]
  to   = module.web[14].docker_container.this
}

moved {
  from = docker_container.web[15]
  to   = module.web[15].docker_container.this
}

moved {
  from = docker_container.web[16]
  to   = module.web[16].docker_container.this
}

moved {
  from = docker_container.web[17]
  to   = module.web[17].docker_container.this
}

moved {
  from = docker_container.web[18]
  to   = module.web[18].docker_container.this
}

moved {
  from = docker_container.web[19]
  to   = module.web[19].docker_container.this
}

# The images built from the checkout had a resource each: now docker_image.built (main.tf).
moved {
  from = docker_image.web
  to   = docker_image.built["web"]
}

moved {
  from = docker_image.nginx
  to   = docker_image.built["nginx"]
}

moved {
  from = docker_image.postgres
  to   = docker_image.built["postgres"]
}

moved {
  from = docker_image.backup
  to   = docker_image.built["backup"]
}

moved {
  from = docker_image.checklist
  to   = docker_image.built["checklist"]
}

moved {
  from = docker_image.otelcol
  to   = docker_image.built["otelcol"]
}

moved {
  from = docker_image.mtail
  to   = docker_image.built["mtail"]
}
