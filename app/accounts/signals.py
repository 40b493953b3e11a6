"""Failed logins counted, whichever view or backend refused them (Django's user_login_failed)."""

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from accounts.metrics import LOGIN_FAILURES


@receiver(user_login_failed)
def count_login_failure(**kwargs: object) -> None:
    LOGIN_FAILURES.inc()
