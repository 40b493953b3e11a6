"""The checklist reads the configs as data (checklist/configs.py): Compose's merge, Dockerfile stages,
Terraform's HCL, the rules' YAML."""

import textwrap

import yaml

from checklist import configs


def _compose(text: str):
    return yaml.load(text, Loader=configs._ComposeLoader)  # noqa: S506 (a SafeLoader)


def test_compose_files_merge_key_by_key_with_reset_and_override():
    base = _compose("web:\n  healthcheck: {test: [CMD, true]}\n  ports: [80, 443]\n  restart: 'no'\n")
    prod = _compose(
        "web:\n  healthcheck: !reset null\n  ports: !override [8080]\n  restart: unless-stopped\n"
    )
    merged = configs._merge(base, prod)["web"]
    assert merged == {"ports": [8080], "restart": "unless-stopped"}


def test_a_stage_inherits_the_healthcheck_of_the_stage_it_is_built_from(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM python AS web\n# a comment\nHEALTHCHECK --interval=5s \\\n  CMD true\n"
        "FROM web AS worker\nUSER 1000\nFROM web AS quiet\nHEALTHCHECK NONE\nFROM python AS bare\n"
    )
    assert configs.healthcheck_in_image(dockerfile, "worker")
    assert not configs.healthcheck_in_image(dockerfile, "quiet")
    assert not configs.healthcheck_in_image(dockerfile)  # the last stage, bare
    assert configs.dockerfile_stages(dockerfile)["web"][1] == ("HEALTHCHECK", "--interval=5s CMD true")


def test_terraform_containers_are_read_from_the_hcl():
    containers = configs.terraform_containers()
    web, migrate, postgres = containers["web"], containers["migrate"], containers["postgres"]
    # web.tf's call gives no restart policy: modules/container's default is what applies.
    assert web["restart"] == "unless-stopped" and int(web["stop_timeout"]) > 0
    assert web["healthcheck"][0]["test"][0] == "CMD"
    assert migrate["must_run"] is False and migrate["healthcheck"][0]["test"] == ["NONE"]
    # A call's null is the provider's default (Docker's stop timeout), not the module's.
    assert postgres["stop_timeout"] is None and postgres["read_only"] is False


def test_a_module_call_takes_the_module_s_defaults_where_it_gives_nothing_or_null(tmp_path):
    (tmp_path / "main.tf").write_text(
        textwrap.dedent("""
            variable "restart" {
              type     = string
              default  = "unless-stopped"
              nullable = false
            }
            variable "stop_timeout" {
              type    = number
              default = 30
            }
            variable "healthcheck" {
              type = object({ test = list(string), interval = optional(string) })
            }
            resource "docker_container" "this" {
              restart      = var.restart
              stop_timeout = var.stop_timeout
              healthcheck {
                test     = var.healthcheck.test
                interval = var.healthcheck.interval
              }
            }
        """)
    )
    call = {"source": str(tmp_path), "count": 2, "restart": None, "stop_timeout": None}
    call["healthcheck"] = {"test": ["CMD", "true"]}
    (container,) = configs._module_containers(call).values()
    # restart is not nullable (null takes the default); stop_timeout's null is the call's; interval unset.
    assert container == {
        "restart": "unless-stopped",
        "stop_timeout": None,
        "healthcheck": [{"test": ["CMD", "true"], "interval": None}],
    }


def test_every_alert_is_read_from_the_rule_files_with_its_expression():
    assert any("26 * 3600" in expression for expression in configs.alert_expressions("BackupTooOld"))
