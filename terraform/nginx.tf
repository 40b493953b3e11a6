# nginx in front of the web replicas: the shared nginx/ configs uploaded as they are, plus the five
# address files they include (and timeouts.conf), rendered here (see the header of nginx/nginx.conf),
# and the certificate and key it serves HTTPS with, from files (var.tls_cert_file, var.tls_key_file).

locals {
  nginx_conf_dir = "/etc/tweetstack/nginx"
  nginx_rendered = {
    "web-replicas.conf" = templatefile("${path.module}/templates/nginx-web-replicas.conf.tftpl", {
      servers = [for web in module.web : "${web.hostname}:${local.ports.web}"]
    })
    # Plain HTTP (redirected to HTTPS by tls.conf, but /healthz) and HTTPS with HTTP/2.
    "listen-public.conf" = join("", [
      "listen ${local.ports.nginx};\n",
      "listen ${local.ports.nginx_https} ssl;\n",
      "http2 on;\n",
      "ssl_certificate ${local.nginx_tls_dir}/server.crt;\n",
      "ssl_certificate_key ${local.nginx_tls_dir}/server.key;\n",
      "set $tweetstack_https_port ${local.https_public_port};\n",
      "include tls.conf;\n",
    ])
    "listen-internal.conf" = "listen ${local.ports.nginx_status};\n"
    "limits.conf"          = "client_max_body_size ${local.client_max_body_size};\n"
    # From app/config/timeouts.env, the one declaration of every timeout (as stack/render.py renders it).
    "timeouts.conf" = join("", [
      "proxy_connect_timeout ${local.timeouts.NGINX_PROXY_CONNECT_TIMEOUT}s;\n",
      "proxy_send_timeout ${local.timeouts.NGINX_PROXY_READ_TIMEOUT}s;\n",
      "proxy_read_timeout ${local.timeouts.NGINX_PROXY_READ_TIMEOUT}s;\n",
      "map \"\" $tweetstack_retry_after { default ${local.timeouts.RETRY_AFTER}; }\n",
    ])
    # Besides stdout: a file under the prefix (/srv/www) on the nginx-logs volume, which mtail reads.
    "access-log.conf" = "access_log ${local.nginx_access_log} json;\n"
  }
  nginx_access_log = "logs/access.log"
  # The certificate chain and key, from the files var.tls_cert_file and var.tls_key_file.
  nginx_tls_dir = "/etc/tweetstack/tls"
  nginx_tls = {
    "server.crt" = file(var.tls_cert_file)
    "server.key" = sensitive(file(var.tls_key_file))
  }
  timeouts = {
    for line in split("\n", file("${local.repo}/app/config/timeouts.env")) :
    trimspace(split("=", line)[0]) => trimspace(split("=", line)[1])
    if can(regex("^[A-Z0-9_]+=", line))
  }
  nginx_shared = { for name in fileset("${local.repo}/nginx", "*.conf") : name => file("${local.repo}/nginx/${name}") }
}

module "nginx" {
  source   = "./modules/container"
  name     = "${var.project}-nginx"
  hostname = "nginx"
  image    = local.image_ids.nginx

  uploads = merge(
    { for name, content in merge(local.nginx_shared, local.nginx_rendered) : "${local.nginx_conf_dir}/${name}" => content },
    # Uploaded again, and nginx recreated, when the files change (a renewed certificate).
    { for name, content in local.nginx_tls : "${local.nginx_tls_dir}/${name}" => content },
  )

  ports = [
    { internal = local.ports.nginx, external = local.public_port, ip = var.public_bind_address },
    { internal = local.ports.nginx_https, external = local.https_public_port, ip = var.public_bind_address },
  ]
  networks_advanced = [{ name = docker_network.front.id }, { name = docker_network.back.id, aliases = ["nginx"] }]
  volumes = [
    { volume_name = docker_volume.data["media"].name, container_path = "/srv/www/media", read_only = true },
    { volume_name = docker_volume.data["nginx-logs"].name, container_path = "/srv/www/logs" },
  ]

  healthcheck = {
    test         = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${local.ports.nginx_status}/stub_status"]
    start_period = "10s"
  }
  # SIGQUIT: nginx finishes the requests in flight before it exits.
  stop_signal  = "SIGQUIT"
  memory       = 256
  read_only    = false
  tmpfs        = {}
  stop_timeout = null
}
