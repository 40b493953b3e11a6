from django.urls import path

from api import views

urlpatterns = [
    path("settings/tokens/", views.token_page, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
