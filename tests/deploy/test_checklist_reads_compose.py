"""The checklist reads the Compose files with a YAML parser (its container has no Compose): what it
merges is what `docker compose config` merges, for every field its items judge."""

from checklist import configs


def judged(service: dict) -> dict:
    healthcheck = service.get("healthcheck") or {}
    return {
        "restart": str(service.get("restart", "no")).lower(),
        "healthcheck": (bool(healthcheck.get("disable")), "test" in healthcheck),
        "target": (service.get("build") or {}).get("target"),
        "stop_grace_period": service.get("stop_grace_period"),
    }


def test_the_checklist_s_merge_of_the_compose_files_is_compose_s(compose_prod):
    ours = {name: judged(service) for name, service in configs.compose_services().items()}
    assert ours == {name: judged(service) for name, service in compose_prod["services"].items()}
