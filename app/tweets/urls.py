from django.urls import path

from tweets import action_views, search_views, thread_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("explore/", views.explore, name="explore"),
    path("search/", search_views.search_page, name="search"),
    path("tags/<str:name>/", thread_views.hashtag, name="hashtag"),
    path("@<str:username>", views.profile, name="profile"),
    path("tweets/", views.tweet_create, name="tweet_create"),
    path("tweets/<int:tweet_id>/", thread_views.tweet_detail, name="tweet_detail"),
    path("tweets/<int:tweet_id>/reply/", thread_views.tweet_reply, name="tweet_reply"),
    path("tweets/<int:tweet_id>/delete/", views.tweet_delete, name="tweet_delete"),
    path("tweets/<int:tweet_id>/like/", action_views.tweet_like, name="tweet_like"),
    path("tweets/<int:tweet_id>/unlike/", action_views.tweet_unlike, name="tweet_unlike"),
    path("tweets/<int:tweet_id>/repost/", action_views.tweet_repost, name="tweet_repost"),
    path("tweets/<int:tweet_id>/unrepost/", action_views.tweet_unrepost, name="tweet_unrepost"),
]
