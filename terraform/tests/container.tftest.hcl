# Plan-mode tests of modules/container (no Docker engine needed): the defaults a container gets, and the
# validations that refuse an unsafe one. Run by tests/deploy (make test) as `terraform test` in terraform/.

mock_provider "docker" {}

# A minimal call: what every caller must give.
variables {
  name        = "tftest-container"
  image       = "sha256:0123456789abcdef"
  memory      = 64
  healthcheck = { test = ["CMD", "true"], interval = "10s" }
}

run "a_container_gets_the_safe_defaults" {
  command = plan
  module {
    source = "./modules/container"
  }

  assert {
    condition     = docker_container.this.restart == "unless-stopped" && docker_container.this.must_run && docker_container.this.wait
    error_message = "a container is restarted unless stopped, kept running, and waited for until healthy"
  }
  assert {
    condition     = docker_container.this.log_driver == "json-file" && docker_container.this.log_opts == tomap({ "max-size" = "10m", "max-file" = "3" })
    error_message = "a container's logs rotate as the stack's: json-file, three files of 10 MB"
  }
  assert {
    condition     = docker_container.this.read_only && docker_container.this.tmpfs == tomap({ "/tmp" = "rw,noexec,nosuid,size=64m" })
    error_message = "a container's root is read-only, with a tmpfs /tmp"
  }
  assert {
    condition     = docker_container.this.stop_timeout == 30 && docker_container.this.memory == 64
    error_message = "a container has 30 s to stop and the memory limit it is given"
  }
  assert {
    condition     = docker_container.this.healthcheck[0].test == tolist(["CMD", "true"]) && docker_container.this.healthcheck[0].interval == "10s"
    error_message = "a container gets the healthcheck it is given"
  }
  assert {
    condition     = docker_container.this.network_mode == "bridge" && docker_container.this.privileged != true
    error_message = "a container is on Docker's bridge (plus its networks), never privileged"
  }
}

run "a_one_shot_container_may_go_without_a_healthcheck" {
  command = plan
  module {
    source = "./modules/container"
  }

  variables {
    healthcheck = { test = ["NONE"] }
    must_run    = false
    attach      = true
    restart     = "no"
    wait        = false
  }

  assert {
    condition     = docker_container.this.healthcheck[0].test == tolist(["NONE"]) && !docker_container.this.must_run && docker_container.this.attach
    error_message = "a one-shot container runs to completion during the apply, its exit code its health"
  }
}

run "a_long_running_container_without_a_healthcheck_is_refused" {
  command = plan
  module {
    source = "./modules/container"
  }

  variables {
    healthcheck = { test = ["NONE"] }
  }

  expect_failures = [var.healthcheck]
}

run "the_host_s_network_is_refused" {
  command = plan
  module {
    source = "./modules/container"
  }

  variables {
    network_mode = "host"
  }

  expect_failures = [var.network_mode]
}

run "networks_in_another_container_s_namespace_are_refused" {
  command = plan
  module {
    source = "./modules/container"
  }

  variables {
    network_mode      = "container:0123456789ab"
    networks_advanced = [{ name = "back" }]
  }

  expect_failures = [var.network_mode]
}

run "uploads_into_a_read_only_root_are_refused" {
  command = plan
  module {
    source = "./modules/container"
  }

  variables {
    uploads = { "/etc/app.conf" = "setting = 1\n" }
  }

  expect_failures = [var.read_only]
}

run "no_memory_limit_is_refused" {
  command = plan
  module {
    source = "./modules/container"
  }

  variables {
    memory = 0
  }

  expect_failures = [var.memory]
}
