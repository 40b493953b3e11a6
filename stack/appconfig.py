"""The app's plain-Python reader of its declaration files (app/config/timeouts.py, no Django import),
loaded from its file: the stack does not import the app's packages, yet reads ports.env, timeouts.env
and limits.env with the same parser as the app and gunicorn.conf.py."""

import functools
import importlib.util
from pathlib import Path

READER = Path(__file__).resolve().parents[1] / "app" / "config" / "timeouts.py"


@functools.cache
def reader():
    spec = importlib.util.spec_from_file_location("tweetstack_timeouts", READER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def declared(path: Path) -> dict[str, float]:
    """KEY=number lines of a declaration file, as written there."""
    return reader().declared(path)
