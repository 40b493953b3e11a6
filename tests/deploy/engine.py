"""A Docker Engine for the live deployment tests, and the local images they need.

No registry can be reached here, so everything the live tests run is made locally and cached under
${TWEETSTACK_CACHE:-~/.cache/tweetstack}, keyed by its inputs:

- the engine: Debian 13's docker.io (dockerd 26: Debian 12's 20.10 refuses healthcheck keys our files
  use), containerd, docker-buildx and docker-compose, downloaded with apt from a private source list
  and unpacked (never installed into the system); runc and iptables are the system's
  (.ci/apt-packages.txt). Engine 26's own runc needs a newer glibc than Debian 12's.
- a daemon of our own when none answers: its data root (images and the build cache, so a warm run
  builds nothing) and socket under the cache folder, stopped by `stop()`, which first removes every
  container and network the tests left;
- Debian root filesystems by debootstrap, imported as local/debian:<suite>;
- the stand-ins of tests/deploy/standins/ (one folder per upstream image, its Dockerfile's header
  names it), tagged with exactly the names versions.env pins, so the users' files run unchanged.

`python -m tests.deploy.engine start|stop|images` does the same by hand.
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("TWEETSTACK_CACHE") or Path.home() / ".cache" / "tweetstack")
ENGINE_CACHE = CACHE / "docker-engine"
STANDINS = Path(__file__).with_name("standins")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
# Packages of the engine, from Debian 13. The version lines are asserted after download, so a point
# release is taken but another major is not.
ENGINE_SUITE = "trixie"
ENGINE_PACKAGES = {
    "docker.io": "26.1.",
    "docker-cli": "26.1.",
    "containerd": "1.7.",
    "docker-buildx": "0.13.",
    "docker-compose": "2.26.",
    # docker-init (`init: true`) is tini.
    "tini": "0.19.",
}
# The system packages the engine needs beside them (.ci/apt-packages.txt installs them).
SYSTEM_BINARIES = {"runc": "runc", "iptables": "iptables", "debootstrap": "debootstrap"}
# Base root filesystems: suite -> extra packages. bookworm: the Python 3.11 of python:3.11-slim-bookworm;
# trixie: the services' Debian 13 packages; forky: nginx >= 1.27.3 (`server ... resolve`).
SUITES = {
    "bookworm": ["ca-certificates"],
    "trixie": ["ca-certificates"],
    "forky": ["ca-certificates"],
}


class EngineError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"engine: {message}", file=sys.stderr, flush=True)


def run(command, *, check=True, capture=True, env=None, timeout=None, input=None):
    result = subprocess.run(
        [str(c) for c in command],
        capture_output=capture,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        input=input,
    )
    if check and result.returncode != 0:
        output = (result.stdout or "") + (result.stderr or "") if capture else ""
        raise EngineError(f"`{' '.join(map(str, command))}` exited {result.returncode}\n{output[-6000:]}")
    return result


@contextmanager
def locked(name: str):
    """An exclusive flock shared with the other engineers' sessions (the cache is shared)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def require_system_binaries() -> None:
    missing = [pkg for binary, pkg in SYSTEM_BINARIES.items() if not shutil.which(binary)]
    if missing:
        raise EngineError(
            f"install {' '.join(missing)} (apt-get install -y {' '.join(missing)}; .ci/run does)"
        )


# --- the engine's binaries -------------------------------------------------------------------------


def apt_options(root: Path, sources: str) -> list[str]:
    (root / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (root / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    (root / "sources.list").write_text(sources)
    return [
        f"-oDir::State::Lists={root / 'lists'}",
        f"-oDir::Etc::SourceList={root / 'sources.list'}",
        "-oDir::Etc::SourceParts=/nonexistent",
        f"-oDir::Cache={root}",
        f"-oDir::Cache::archives={root / 'archives'}",
        "-oDir::State::status=/dev/null",
        "-oAPT::Architecture=amd64",
    ]


def engine_binaries() -> Path:
    """The folder of dockerd, containerd, docker and the CLI plugins (downloaded once)."""
    require_system_binaries()
    with locked("docker-engine"):
        stamp = ENGINE_CACHE / "current"
        if stamp.exists() and (Path(stamp.read_text().strip()) / "usr" / "sbin" / "dockerd").exists():
            return Path(stamp.read_text().strip())
        apt = ENGINE_CACHE / "apt"
        sources = f"deb [signed-by={KEYRING}] {DEBIAN_MIRROR} {ENGINE_SUITE} main\n"
        options = apt_options(apt, sources)
        log(f"downloading {', '.join(ENGINE_PACKAGES)} from Debian {ENGINE_SUITE}")
        run(["apt-get", *options, "-qq", "update"])
        downloads = apt / "debs"
        shutil.rmtree(downloads, ignore_errors=True)
        downloads.mkdir(parents=True)
        subprocess.run(["apt-get", *options, "-qq", "download", *ENGINE_PACKAGES], cwd=downloads, check=True)
        versions = {}
        for deb in sorted(downloads.glob("*.deb")):
            package, version = run(
                ["dpkg-deb", "-W", "--showformat=${Package} ${Version}", deb]
            ).stdout.split()
            versions[package] = version
        for package, line in ENGINE_PACKAGES.items():
            if not versions.get(package, "").startswith(line):
                raise EngineError(f"{package} {versions.get(package)} from {ENGINE_SUITE} is not {line}x")
        key = hashlib.sha256(json.dumps(versions, sort_keys=True).encode()).hexdigest()[:16]
        root = ENGINE_CACHE / f"root-{key}"
        if not (root / "usr" / "sbin" / "dockerd").exists():
            # Unpacked beside and moved into place whole: a run cut off mid-way leaves no half an engine.
            unpacked = root.with_name(f"{root.name}.tmp")
            shutil.rmtree(unpacked, ignore_errors=True)
            for deb in downloads.glob("*.deb"):
                run(["dpkg-deb", "-x", deb, unpacked])
            shutil.rmtree(root, ignore_errors=True)
            unpacked.rename(root)
        stamp.write_text(f"{root}\n")
        log(f"engine binaries in {root}: {versions}")
        return root


# --- the daemon -------------------------------------------------------------------------------------


class Engine:
    """A Docker daemon for the session: an answering one, or one started here (and stopped by stop())."""

    def __init__(self):
        self.root = engine_binaries()
        self.state = ENGINE_CACHE / "daemon"
        self.socket = self.state / "docker.sock"
        # The CLI's plugins (compose, buildx) come from the same download, through a config folder.
        self.config = ENGINE_CACHE / "cli-config"
        plugins = self.config / "cli-plugins"
        plugins.mkdir(parents=True, exist_ok=True)
        for name in ("docker-compose", "docker-buildx"):
            target = self.root / "usr" / "libexec" / "docker" / "cli-plugins" / name
            link = plugins / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(target)
        (self.config / "config.json").write_text("{}\n")
        self.process = None
        self.host = os.environ.get("DOCKER_HOST") or f"unix://{self.socket}"
        self.docker_bin = str(self.root / "usr" / "bin" / "docker")

    @property
    def env(self) -> dict:
        path = f"{self.root / 'usr' / 'bin'}:{self.root / 'usr' / 'sbin'}:{os.environ.get('PATH', '')}"
        return os.environ | {"DOCKER_HOST": self.host, "DOCKER_CONFIG": str(self.config), "PATH": path}

    def docker(self, *args, check=True, timeout=600, input=None, capture=True):
        return run(
            [self.docker_bin, *args], env=self.env, check=check, timeout=timeout, input=input, capture=capture
        )

    def answers(self) -> bool:
        return (
            self.docker("version", "--format", "{{.Server.Version}}", check=False, timeout=20).returncode == 0
        )

    def start(self) -> "Engine":
        if self.answers():
            log(f"using the engine that answers at {self.host}")
            return self
        if "DOCKER_HOST" in os.environ:
            raise EngineError(f"DOCKER_HOST={self.host} does not answer")
        self.state.mkdir(parents=True, exist_ok=True)
        data_root = ENGINE_CACHE / "data-root"
        # exec-root holds sockets whose paths must stay short (108 bytes): not under the cache folder.
        exec_root = Path("/run/tweetstack-docker")
        command = [
            self.root / "usr" / "sbin" / "dockerd",
            "--host",
            self.host,
            "--data-root",
            data_root,
            "--exec-root",
            exec_root,
            "--pidfile",
            self.state / "dockerd.pid",
            "--storage-driver",
            "overlay2",
            # Networks from a pool of our own, apart from the host's other addresses.
            "--default-address-pool",
            "base=172.29.0.0/16,size=24",
            "--log-level",
            "warn",
        ]
        if not (self.root / "usr" / "sbin" / "dockerd").exists():
            command[0] = self.root / "usr" / "bin" / "dockerd"
        with open(self.state / "dockerd.log", "a") as logfile:
            self.process = subprocess.Popen(
                [str(c) for c in command], env=self.env, stdout=logfile, stderr=subprocess.STDOUT
            )
        for _ in range(600):
            if self.process.poll() is not None:
                tail = (self.state / "dockerd.log").read_text()[-3000:]
                raise EngineError(f"dockerd exited {self.process.returncode}:\n{tail}")
            if self.answers():
                log(f"started dockerd (pid {self.process.pid}) at {self.host}")
                return self
            time.sleep(0.1)
        raise EngineError("dockerd did not answer within 60 s")

    def remove_leftovers(self, label: str) -> None:
        """Containers, networks and volumes carrying `label` (the tests' projects), removed."""
        containers = self.docker("ps", "-aq", "--filter", f"label={label}").stdout.split()
        if containers:
            self.docker("rm", "-f", "-v", *containers)
        networks = self.docker("network", "ls", "-q", "--filter", f"label={label}").stdout.split()
        if networks:
            self.docker("network", "rm", *networks)
        volumes = self.docker("volume", "ls", "-q", "--filter", f"label={label}").stdout.split()
        if volumes:
            self.docker("volume", "rm", *volumes)

    def leftovers(self) -> list[str]:
        """Containers, and networks beyond the engine's own, that exist now."""
        containers = self.docker("ps", "-a", "--format", "{{.Names}}", check=False).stdout.split()
        networks = self.docker("network", "ls", "--format", "{{.Name}}", check=False).stdout.split()
        return containers + [name for name in networks if name not in ("bridge", "host", "none")]

    def stop(self) -> list[str]:
        """Stop the daemon started here; returns what the tests had left (removed first)."""
        if self.process is None:
            return []
        # Whatever the tests left is removed before the daemon goes (its data root keeps only images
        # and the build cache, which is what makes the next run warm).
        left = self.leftovers()
        containers = self.docker("ps", "-aq", check=False).stdout.split()
        if containers:
            self.docker("rm", "-f", "-v", *containers, check=False)
        self.docker("network", "prune", "-f", check=False)
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        log(f"stopped dockerd (pid {self.process.pid})")
        self.process = None
        return left


# --- images -----------------------------------------------------------------------------------------


def image_exists(engine: Engine, name: str) -> bool:
    return engine.docker("image", "inspect", name, check=False).returncode == 0


def debian_base(engine: Engine, suite: str) -> str:
    """local/debian:<suite>, a minbase root filesystem by debootstrap (tarball cached by its inputs)."""
    packages = SUITES[suite]
    key = hashlib.sha256(json.dumps([suite, "minbase", DEBIAN_MIRROR, packages]).encode()).hexdigest()[:12]
    tag = f"local/debian:{suite}-{key}"
    if image_exists(engine, tag):
        return tag
    tarball = CACHE / "debootstrap" / f"{suite}-{key}.tar"
    with locked(f"debootstrap-{suite}"):
        if not tarball.exists():
            tarball.parent.mkdir(parents=True, exist_ok=True)
            target = CACHE / "debootstrap" / f"{suite}-{key}.root"
            shutil.rmtree(target, ignore_errors=True)
            log(f"debootstrap {suite} (about a minute)")
            script = Path("/usr/share/debootstrap/scripts") / suite
            # An older debootstrap knows no newer suite: the development suite's script fits it.
            extra = [] if script.exists() else ["/usr/share/debootstrap/scripts/sid"]
            run(
                [
                    "nice",
                    "debootstrap",
                    "--variant=minbase",
                    f"--include={','.join(packages)}",
                    f"--keyring={KEYRING}",
                    suite,
                    target,
                    DEBIAN_MIRROR,
                    *extra,
                ],
                timeout=1800,
            )
            # Apt caches and lists are not part of an image.
            for folder in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for item in (target / folder).glob("*"):
                    if item.is_file():
                        item.unlink()
            run(["tar", "-C", target, "-cf", f"{tarball}.tmp", "."])
            os.replace(f"{tarball}.tmp", tarball)
            shutil.rmtree(target, ignore_errors=True)
    with open(tarball, "rb") as handle:
        subprocess.run(
            [engine.docker_bin, "import", "-", tag],
            stdin=handle,
            env=engine.env,
            check=True,
            capture_output=True,
        )
    engine.docker("tag", tag, f"local/debian:{suite}")
    return tag


def versions() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (REPO / "versions.env").read_text().splitlines())
    return {k: v for k, v in (p for p in pairs if len(p) == 2 and not p[0].startswith("#"))}


def standin_targets() -> dict[Path, tuple[str, Path]]:
    """Each stand-in's Dockerfile names the versions.env variable whose image it stands in for, and
    its build context when that is not its own folder: {folder: (pinned name, context)}."""
    targets = {}
    pinned = versions()
    for dockerfile in sorted(STANDINS.glob("*/Dockerfile")):
        header = dict(
            line[2:].split(": ", 1)
            for line in dockerfile.read_text().splitlines()
            if line.startswith("# ") and ": " in line
        )
        variable = header["Stands in for"].split()[0]
        context = REPO / header["Build context"] if "Build context" in header else dockerfile.parent
        targets[dockerfile.parent] = (pinned[variable], context)
    return targets


def host_ca_bundle() -> Path:
    """The host's CA bundle: the build trusts it only through a build secret (never in a layer)."""
    return Path("/etc/ssl/certs/ca-certificates.crt")


def build(engine: Engine, context: Path, tag: str, *, dockerfile: Path | None = None, args=None, target=None):
    command = ["buildx", "build", "--load", "--tag", tag, "--progress", "plain"]
    command += ["--secret", f"id=ca-bundle,src={host_ca_bundle()}"]
    for key, value in (args or {}).items():
        command += ["--build-arg", f"{key}={value}"]
    if dockerfile:
        command += ["--file", dockerfile]
    if target:
        command += ["--target", target]
    result = engine.docker(*command, context, check=False, timeout=3600)
    if result.returncode != 0:
        raise EngineError(f"building {tag} from {context} failed:\n{(result.stdout + result.stderr)[-8000:]}")


def standin_images(engine: Engine) -> dict[str, str]:
    """Build every stand-in (the build cache makes a warm call cheap); {pinned name: folder}."""
    for suite in SUITES:
        debian_base(engine, suite)
    built = {}
    # Bases first: the Jaeger stand-in builds FROM the GO_IMAGE and OTEL_RUNTIME_IMAGE stand-ins.
    order = sorted(standin_targets().items(), key=lambda item: item[0].name.startswith("jaeger"))
    args = {key: value for key, value in versions().items() if key in {"GO_IMAGE", "OTEL_RUNTIME_IMAGE"}}
    for folder, (name, context) in order:
        log(f"building stand-in {name} from {folder.relative_to(REPO)}")
        build(engine, context, name, dockerfile=folder / "Dockerfile", args=args)
        built[name] = str(folder.relative_to(REPO))
    return built


def main(argv: list[str]) -> int:
    engine = Engine()
    if argv[:1] == ["start"]:
        engine.start()
        engine.process = None  # left running: `stop` ends it by its pid file
        print(f"export DOCKER_HOST={engine.host} DOCKER_CONFIG={engine.config}")
    elif argv[:1] == ["stop"]:
        pid = int((engine.state / "dockerd.pid").read_text())
        os.kill(pid, 15)
    elif argv[:1] == ["images"]:
        engine.start()
        print(json.dumps(standin_images(engine), indent=2))
    else:
        print("usage: python -m tests.deploy.engine start|stop|images", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
