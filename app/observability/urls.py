from django.urls import path

from observability.health import ReadinessView, liveness
from observability.prometheus import metrics_view

urlpatterns = [
    path("healthz", liveness, name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]
