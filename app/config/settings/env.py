"""The one reader of the environment: every setting that can change between deployments goes through it."""

from pathlib import Path

import environ

# app/config/settings/env.py -> repository root
REPO_DIR = Path(__file__).resolve().parents[3]
APP_DIR = REPO_DIR / "app"
env = environ.Env()

# State of the embedded default (SQLite file, uploads, collected static) stays in one ignored folder.
VAR_DIR = Path(env.str("TWEETSTACK_VAR_DIR", default=str(REPO_DIR / "var")))
