"""The Redis timelines hold under any sequence of writes: a hypothesis state machine posts, replies,
reposts, unreposts, deletes, likes, unlikes, follows, unfollows, reads notifications and flushes Redis
at random, on the real PostgreSQL and Redis, and after every step each user's Home, profile and
Explore, page by page as the app serves them, are the timelines computed in SQL, and every counter
(followers, likes, replies, reposts, unread notifications) is the count of its rows.

Small sizes make every path happen in a few steps: pages of 2, sets of 8 ids (so pages past the sets
come from PostgreSQL), and a fan-out threshold of 1 follower (so authors cross it both ways and are
merged at read time)."""

import pytest
from django.core.cache import cache
from django.db.models import Q
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from accounts import services as account_services
from accounts.models import Follow, User
from notifications import services as notification_services
from notifications.models import Notification
from tests.factories import UserFactory
from tweets import selectors, services
from tweets.models import Like, TimelineChange, Tweet

USERS = 3
person = st.integers(min_value=0, max_value=USERS - 1)


def every_page(read) -> list[int]:
    ids, cursor = [], None
    while True:
        page = read(cursor=cursor)
        ids += [row.id for row in page.tweets]
        if not page.next_cursor:
            return ids
        cursor = page.next_cursor


def newest_first(tweets) -> list[int]:
    return list(tweets.order_by("-created_at", "-id").values_list("id", flat=True))


class Timelines(RuleBasedStateMachine):
    @initialize()
    def start_empty(self):
        for model in (Notification, Like, Follow, Tweet, TimelineChange, User):
            model.objects.all().delete()
        cache.clear()
        self.users = [UserFactory() for _ in range(USERS)]
        self.posted = 0
        # A ring of follows and a tweet each to start from, so unfollows, deletes and likes act at once.
        for index, user in enumerate(self.users):
            account_services.user_follow(follower=user, followee=self.users[(index + 1) % USERS])
            services.tweet_create(author=user, text=f"first of user {index}")

    def user(self, index: int) -> User:
        return User.objects.get(pk=self.users[index].pk)

    @rule(author=person, count=st.integers(min_value=1, max_value=6))
    def post(self, author, count):
        for _ in range(count):  # bursts, so that sets overflow their length
            self.posted += 1
            tweet = services.tweet_create(author=self.user(author), text=f"tweet {self.posted}")
            # At once: first on the author's Home and profile and on every follower's Home.
            followers = User.objects.filter(following_links__followee_id=tweet.author_id)
            for reader in [self.user(author), *followers]:
                assert selectors.home_timeline(user=reader).tweets[0].id == tweet.pk
            assert selectors.profile_timeline(author=self.user(author)).tweets[0].id == tweet.pk

    @rule(data=st.data(), author=person)
    def reply(self, data, author):
        tweets = list(Tweet.objects.order_by("id"))
        if tweets:
            self.posted += 1
            parent = data.draw(st.sampled_from(tweets))
            reply = services.tweet_create(
                author=self.user(author), text=f"reply {self.posted}", reply_to=parent
            )
            assert selectors.home_timeline(user=self.user(author)).tweets[0].id == reply.pk

    @rule(data=st.data(), reposter=person, repost=st.booleans())
    def repost_or_unrepost(self, data, reposter, repost):
        tweets = list(Tweet.objects.order_by("id"))
        if tweets:
            tweet = data.draw(st.sampled_from(tweets))
            change = services.tweet_repost if repost else services.tweet_unrepost
            change(tweet=tweet, user=self.user(reposter))

    @rule(data=st.data())
    def delete(self, data):
        tweets = list(Tweet.objects.order_by("id"))
        if tweets:
            tweet = data.draw(st.sampled_from(tweets))
            services.tweet_delete(tweet=tweet, user=tweet.author)

    @rule(data=st.data(), liker=person, like=st.booleans())
    def like_or_unlike(self, data, liker, like):
        tweets = list(Tweet.objects.order_by("id"))
        if tweets:
            tweet = data.draw(st.sampled_from(tweets))
            change = services.tweet_like if like else services.tweet_unlike
            change(tweet=tweet, user=self.user(liker))

    @rule(follower=person, followee=person, follow=st.booleans())
    def follow_or_unfollow(self, follower, followee, follow):
        if follower != followee:
            change = account_services.user_follow if follow else account_services.user_unfollow
            change(follower=self.user(follower), followee=self.user(followee))

    @rule(reader=person)
    def read_notifications(self, reader):
        notification_services.notifications_mark_read(user=self.user(reader))

    @rule(dice=st.integers(min_value=1, max_value=6))
    def flush_redis(self, dice):
        # Hypothesis draws rules without arguments the most: a flush on every step would hide what a
        # long-lived set gets wrong, so one roll in six flushes.
        if dice == 6:
            cache.clear()

    @invariant()
    def timelines_are_the_sql_ones(self):
        if not hasattr(self, "users"):
            return
        assert every_page(selectors.explore_timeline) == newest_first(Tweet.objects.filter(repost_of=None))
        for index in range(USERS):
            user = self.user(index)
            followees = Follow.objects.filter(follower=user).values("followee")
            home = Tweet.objects.filter(Q(author=user) | Q(author__in=followees))
            assert every_page(
                lambda cursor, user=user: selectors.home_timeline(user=user, cursor=cursor)
            ) == (newest_first(home)), f"Home of user {index}"
            assert every_page(
                lambda cursor, user=user: selectors.profile_timeline(author=user, cursor=cursor)
            ) == newest_first(Tweet.objects.filter(author=user)), f"profile of user {index}"
            assert user.followers_count == Follow.objects.filter(followee=user).count()
            assert user.following_count == Follow.objects.filter(follower=user).count()
            unread = Notification.objects.filter(recipient=user, read=False).count()
            assert user.unread_notifications == unread
        for row in selectors.explore_timeline().tweets:
            assert row.like_count == Like.objects.filter(tweet_id=row.id).count()
            assert row.reply_count == Tweet.objects.filter(reply_to_id=row.id).count()
            assert row.repost_count == Tweet.objects.filter(repost_of_id=row.id).count()


@pytest.mark.django_db(transaction=True)
def test_timelines_equal_the_sql_ones_after_any_sequence_of_writes(settings_for_state_machine):
    run_state_machine_as_test(
        Timelines,
        settings=settings(
            max_examples=10,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


@pytest.fixture
def settings_for_state_machine(settings):
    settings.TIMELINE_PAGE_SIZE = 2
    settings.TIMELINE_LENGTH = 8
    settings.TIMELINE_FANOUT_MAX_FOLLOWERS = 1
    return settings
