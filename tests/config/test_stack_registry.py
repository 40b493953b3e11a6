"""The native stack's registry (stack/registry.py): one entry per service, and everything derived from it."""

import dataclasses
import json
import os
import shutil
import subprocess

from stack import ports as port_table
from stack import readiness, registry, render, services
from stack.layout import REPO, Stack


def test_every_job_of_jobs_json_is_scraped_by_exactly_one_service():
    jobs = json.loads((REPO / "monitoring" / "prometheus" / "jobs.json").read_text())
    scraped = [job for service in registry.SERVICES for job in service.scrape]
    assert sorted(scraped) == sorted(jobs)


def test_every_listener_is_one_service_s_and_every_listening_service_has_a_probe():
    declared = [port for service in registry.SERVICES for port in service.ports]
    assert len(declared) == len(set(declared)) == len(port_table.LISTENERS)
    assert [service.name for service in registry.SERVICES if service.ports and service.ready is None] == []


def test_one_new_entry_is_rendered_started_and_probed(tmp_path, monkeypatch):
    """What adding a service takes: one Service; its supervisor block, start phase, probe and port follow."""
    entry = registry.Service(
        "example",
        lambda ctx: f"/usr/bin/example --listen 127.0.0.1:{ctx.port('prometheus')}",
        registry.SERVICES_PHASE,
        ports={"example": "an example service"},
        ready=readiness.Http("prometheus", "/-/ready"),
        stop_timeout=45,
    )
    monkeypatch.setattr(registry, "SERVICES", (*registry.SERVICES, entry))
    stack = Stack.from_env({"STACK_DIR": str(tmp_path)})
    binaries = {"OTELCOL_BIN": "/bin/true", "JAEGER_BIN": "/bin/true"}
    render.render_supervisor(stack, render.programs(stack, binaries, "s" * 50, "token"))
    block = stack.supervisor_conf.read_text().split("[program:example]\n", 1)[1].split("[program:", 1)[0]
    assert f"command=/usr/bin/example --listen 127.0.0.1:{stack.ports['prometheus']}\n" in block
    assert "stopwaitsecs=45\n" in block
    assert registry.phase(stack, registry.SERVICES_PHASE)[-1] == "example"
    assert "example" in services.probes(stack)
    assert registry.listeners()["example"] == "an example service"


def test_the_fault_proxy_and_its_ports_only_with_stack_fault_proxy(tmp_path):
    plain = Stack.from_env({"STACK_DIR": str(tmp_path)})
    drills = dataclasses.replace(plain, fault_proxy=True)
    assert "toxiproxy" not in registry.phase(plain, registry.INFRASTRUCTURE)
    assert registry.phase(drills, registry.INFRASTRUCTURE) == ["postgres", "redis", "toxiproxy"]
    assert "redis-proxy" not in plain.listening() and "redis-proxy" in drills.listening()


def test_start_order_is_infrastructure_then_tracing_and_replicas_then_the_rest(tmp_path):
    stack = Stack.from_env({"STACK_DIR": str(tmp_path), "STACK_REPLICAS": "3"})
    assert registry.phase(stack, registry.APP) == ["jaeger", "otelcol", "web-0", "web-1", "web-2"]
    rest = registry.phase(stack, registry.SERVICES_PHASE)
    assert rest[0] == "nginx" and rest[-1] == "checklist"


def test_a_process_s_stat_fields_survive_a_command_with_spaces_and_parentheses(tmp_path):
    odd = tmp_path / "a) (b c"
    odd.symlink_to(shutil.which("sleep"))
    child = subprocess.Popen([str(odd), "30"])
    try:
        fields = services.stat_fields(child.pid)
        # The state (one letter: R, S, or D while a loaded machine pages it in), then the parent.
        assert len(fields[0]) == 1 and fields[0].isalpha() and int(fields[1]) == os.getpid()
    finally:
        child.kill()
        child.wait()
