"""Prometheus' file_sd target lists for Docker Compose, from Docker's DNS: one JSON file per job.
Run by the `prometheus-targets` service of docker-compose.yml (in the app image, which has Python).

Each job of JOBS_FILE (monitoring/prometheus/jobs.json) is a service name and the ports.env name of
its port, whose value comes from the environment (the service's env_file is ports.env). The web
service name resolves to every replica's address (Docker's DNS), so the `web` list follows scaling;
each address is labelled with its container's name (service_instance). A job with a "probe" (tls)
lists its exporter, labelled with the URL it probes (__param_target). Environment:
  TARGETS_DIR     where prometheus.yml's targets/*.json are written
  JOBS_FILE       jobs.json
  <NAME>_PORT     each port jobs.json names (ports.env)
  REFRESH_SECONDS how often the web list is rewritten (default 10)
`--once` writes every list once and exits (the tests use it).
"""

import json
import os
import socket
import sys
import time


def write(directory: str, job: str, groups: list[dict]) -> None:
    # Written beside and renamed over, so Prometheus never reads half a file.
    path = os.path.join(directory, job + ".json")
    with open(path + ".tmp", "w") as handle:
        json.dump(groups, handle, indent=2)
    os.replace(path + ".tmp", path)


def web_groups(host: str, port: str) -> list[dict]:
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        # Not resolvable yet (no replica started): an empty list, not a crash loop.
        return []
    groups = []
    for address in sorted({info[4][0] for info in infos}):
        try:
            name = socket.gethostbyaddr(address)[0].split(".")[0]
        except OSError:
            name = address
        groups.append({"targets": [f"{address}:{port}"], "labels": {"service_instance": name}})
    return groups


def probe_labels(target: dict) -> dict:
    """The URL a probing job's exporter probes: the probe's service by its Compose name."""
    probe = target.get("probe")
    if not probe:
        return {}
    return {"__param_target": f"https://{probe['service']}:{os.environ[probe['port']]}{probe['path']}"}


def main(argv: list[str]) -> int:
    directory = os.environ["TARGETS_DIR"]
    with open(os.environ["JOBS_FILE"]) as handle:
        jobs = {
            job: (target["service"], os.environ[target["port"]], probe_labels(target))
            for job, target in json.load(handle).items()
        }
    host, port, _ = jobs.pop("web")
    for job, (service, service_port, labels) in jobs.items():
        write(directory, job, [{"targets": [f"{service}:{service_port}"], "labels": labels}])
    while True:
        write(directory, "web", web_groups(host, port))
        if "--once" in argv:
            return 0
        time.sleep(float(os.environ.get("REFRESH_SECONDS", "10")))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
