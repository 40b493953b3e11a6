"""The workflows' tests share the deployment tests' Docker Engine (one per session, under its flock)."""

from tests.deploy.conftest import engine  # noqa: F401  (the fixture, re-exported for tests/cicd/)
