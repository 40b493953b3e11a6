"""Logging integration: one structlog renderer for Django, gunicorn and libraries (the gunicorn config
imports this too); observability.bootstrap.start() configures structlog itself with SERVICE_INSTANCE_ID.

LOG_FORMAT=json (production's default) prints one JSON object per line; console is the readable default.
"""

import logging
import socket

from config.settings.env import env
from observability.logs import logging_config

SERVICE_INSTANCE_ID = env.str("SERVICE_INSTANCE_ID", default=socket.gethostname())
LOG_FORMAT = env.str("LOG_FORMAT", default="console")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")

LOGGING = logging_config(
    json_output=LOG_FORMAT == "json", level=LOG_LEVEL, service_instance=SERVICE_INSTANCE_ID
)

# django-structlog: trust X-Request-ID (RequestIdMiddleware has validated it), log each request once.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
