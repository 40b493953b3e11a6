"""The migrations that added the counter columns fill them from the rows that already exist."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0002_username_unique_ignoring_case"), ("tweets", "0003_search_indexes")]
AFTER = [("accounts", "0003_follow_counts"), ("tweets", "0004_like_count_and_timeline_changes")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_counts_are_backfilled_from_existing_follows_and_likes():
    old = migrate(BEFORE)
    User, Follow = old.get_model("accounts", "User"), old.get_model("accounts", "Follow")
    Tweet, Like = old.get_model("tweets", "Tweet"), old.get_model("tweets", "Like")
    ann, ben, cat = (User.objects.create(username=name) for name in ("ann", "ben", "cat"))
    Follow.objects.create(follower=ben, followee=ann)
    Follow.objects.create(follower=cat, followee=ann)
    Follow.objects.create(follower=ann, followee=cat)
    tweet = Tweet.objects.create(author=ann, text="liked twice")
    Like.objects.create(user=ben, tweet=tweet)
    Like.objects.create(user=cat, tweet=tweet)
    try:
        new = migrate(AFTER)
        counts = dict(new.get_model("accounts", "User").objects.values_list("username", "followers_count"))
        following = dict(new.get_model("accounts", "User").objects.values_list("username", "following_count"))
        assert counts == {"ann": 2, "ben": 0, "cat": 1}
        assert following == {"ann": 1, "ben": 1, "cat": 1}
        assert new.get_model("tweets", "Tweet").objects.get(pk=tweet.pk).like_count == 2
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
