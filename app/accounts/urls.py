from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from web.ratelimits import rate_limited

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path(
        "login/",
        rate_limited("login")(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
