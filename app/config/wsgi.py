"""WSGI entry point for gunicorn; production deployments set DJANGO_SETTINGS_MODULE explicitly."""

import os

from django.core.wsgi import get_wsgi_application

from observability import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

# Under gunicorn, post_fork has started it in this worker already; any other WSGI server starts it here.
bootstrap.start()
application = get_wsgi_application()
