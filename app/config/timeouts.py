"""The request path's timeouts: timeouts.env beside this file, each overridable by the environment.

Plain Python with no Django import: gunicorn.conf.py, the settings and the native stack all read it.
"""

import os
from collections.abc import Mapping
from pathlib import Path

DECLARATIONS = Path(__file__).with_name("timeouts.env")


def declared(path: Path = DECLARATIONS) -> dict[str, float]:
    """KEY=value lines of timeouts.env (or of another such file: limits.env), as written there."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = float(value)
    return values


def timeouts(environ: Mapping[str, str] = os.environ) -> dict[str, float]:
    """The declared timeouts, with the environment's overrides."""
    return {key: float(environ.get(key) or value) for key, value in declared().items()}
