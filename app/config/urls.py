from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from accounts import profile_views
from accounts import views as account_views
from api.main import api
from web.media import serve_media

# A database outage answers 503 with Retry-After (web/error_pages.py); other errors stay 500.
handler500 = "web.error_pages.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("@<str:username>/follow", account_views.follow, name="follow"),
    path("@<str:username>/unfollow", account_views.unfollow, name="unfollow"),
    path("settings/profile/", profile_views.profile_edit, name="profile_edit"),
    path("", include("observability.urls")),
    path("api/", api.urls),
    path("", include("api.urls")),
    path("", include("notifications.urls")),
    path("", include("tweets.urls")),
]

if settings.SERVE_MEDIA:
    # Django serves uploads itself (also with DEBUG off) where no front proxy does it.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns.append(re_path(rf"^{media_prefix}(?P<path>.*)$", serve_media, name="media"))
