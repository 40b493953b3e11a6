"""terraform/: formatted, valid, its plan-mode tests pass with the locally built docker provider
mocked, and the custom checkov policies for docker_* resources hold (and bite)."""

import json
import re

import pytest

from tests.deploy.conftest import REPO, TERRAFORM_DIR, run

POLICIES = TERRAFORM_DIR / "checkov"
INSECURE = REPO / "tests" / "deploy" / "fixtures" / "insecure-terraform"


def checkov_report(checkov, directory) -> dict:
    policy_ids = sorted(re.search(r"id: (\S+)", p.read_text()).group(1) for p in POLICIES.glob("*.yaml"))
    command = [checkov, "--compact", "--skip-download", "--framework", "terraform", "-o", "json"]
    command += ["-d", str(directory), "--external-checks-dir", str(POLICIES), "--check", ",".join(policy_ids)]
    report = json.loads(run(command, check=False).stdout)
    return report if isinstance(report, dict) else report[0]


def test_terraform_is_formatted(terraform):
    result = terraform("fmt", "-check", "-recursive", "-diff", "-no-color", check=False)
    assert result.returncode == 0, f"run `terraform fmt -recursive terraform/`:\n{result.stdout}"


def test_terraform_configuration_is_valid(terraform):
    assert "Success" in terraform("validate", "-no-color").stdout


def test_terraform_plan_tests_pass(terraform):
    result = terraform("test", "-no-color", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    passed, failed = map(int, re.search(r"(\d+) passed, (\d+) failed", result.stdout).groups())
    assert failed == 0
    assert passed >= 10, result.stdout


def test_custom_checkov_policies_pass_for_every_docker_resource(checkov):
    report = checkov_report(checkov, TERRAFORM_DIR)
    results = report["results"]
    assert results["failed_checks"] == [], [(c["check_id"], c["resource"]) for c in results["failed_checks"]]
    # A skip (a `#checkov:skip=ID:reason` comment) matched its resource too: checkov cannot read the
    # images' names through for_each, so the released images' skip says why their pins hold.
    evaluated = {c["check_id"] for c in results["passed_checks"] + results["skipped_checks"]}
    policy_ids = {re.search(r"id: (\S+)", p.read_text()).group(1) for p in POLICIES.glob("*.yaml")}
    assert evaluated == policy_ids, f"policies that matched no resource: {policy_ids - evaluated}"
    # Every container is modules/container's resource, checked with its call's values, and the replicas
    # are expanded by the call's count: each is checked.
    assert any(c["resource"] == "module.web[1].docker_container.this" for c in results["passed_checks"])


def test_custom_checkov_policies_reject_an_insecure_stack(checkov):
    failed = {
        (c["check_id"], c["resource"]) for c in checkov_report(checkov, INSECURE)["results"]["failed_checks"]
    }
    expected = {
        ("CKV2_TWEETSTACK_1", "docker_container.bad"),  # privileged
        ("CKV2_TWEETSTACK_2", "docker_container.bad"),  # host network
        ("CKV2_TWEETSTACK_3", "docker_container.bad"),  # no memory limit
        ("CKV2_TWEETSTACK_4", "docker_container.bad"),  # no healthcheck
        ("CKV2_TWEETSTACK_5", "docker_image.app"),  # latest
        ("CKV2_TWEETSTACK_5", "docker_image.untagged"),  # no tag
        ("CKV2_TWEETSTACK_7", "docker_container.bad"),  # no restart policy
        # Through modules/container, with the call's values.
        ("CKV2_TWEETSTACK_2", "module.bad_through_module.docker_container.this"),  # host network
        ("CKV2_TWEETSTACK_7", "module.bad_through_module.docker_container.this"),  # no restart policy
    }
    assert expected <= failed, expected - failed


def variable_blocks() -> dict[str, str]:
    text = (TERRAFORM_DIR / "variables.tf").read_text()
    return dict(re.findall(r'^variable "(\w+)" \{\n(.*?)^\}', text, re.MULTILINE | re.DOTALL))


@pytest.mark.parametrize(
    "name",
    [
        "django_secret_key",
        "postgres_password",
        "pgbackrest_cipher_pass",
        "metrics_token",
        "grafana_admin_password",
    ],
)
def test_secrets_are_sensitive_required_and_validated(name):
    body = variable_blocks()[name]
    assert re.search(r"sensitive\s*=\s*true", body)
    assert not re.search(r"^\s*default\s*=", body, re.MULTILINE), f"{name} has a default"
    assert "validation {" in body


def test_every_variable_is_typed_and_described():
    for name, body in variable_blocks().items():
        assert re.search(r"^\s*type\s*=", body, re.MULTILINE), name
        assert re.search(r'^\s*description\s*=\s*"\S', body, re.MULTILINE), name


def test_no_locally_built_provider_lock_or_state_is_tracked():
    tracked = run(["git", "ls-files", "terraform"]).stdout.split()
    assert not [
        path for path in tracked if re.search(r"(\.terraform/|\.terraform\.lock\.hcl|\.tfstate)", path)
    ]
