#!/usr/bin/env python
"""Django's command-line utility; runs the embedded default unless DJANGO_SETTINGS_MODULE says otherwise."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from django.core.management import execute_from_command_line

    from observability import bootstrap

    bootstrap.start()
    execute_from_command_line(sys.argv)
