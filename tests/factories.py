"""Factories for the models, in one place."""

import factory
from django.db import transaction

from accounts import services as account_services
from accounts.models import Follow, User
from tweets import fanout
from tweets import services as tweet_services
from tweets.models import Like, Tweet

# Every factory-made user has this password, so tests can log in through the real form.
PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class TweetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tweet

    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Tweet number {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Stored as tweet_create stores one (minus the text and image checks), so it reaches the
        # Redis timelines like any post.
        with transaction.atomic():
            tweet = super()._create(model_class, *args, **kwargs)
            fanout.record_post(tweet)
        return tweet


class LikeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Like

    user = factory.SubFactory(UserFactory)
    tweet = factory.SubFactory(TweetFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, which keeps the tweet's like count.
        tweet_services.tweet_like(tweet=kwargs["tweet"], user=kwargs["user"])
        return model_class.objects.get(tweet=kwargs["tweet"], user=kwargs["user"])


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    followee = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, which keeps both counts and the follower's Home.
        account_services.user_follow(follower=kwargs["follower"], followee=kwargs["followee"])
        return model_class.objects.get(follower=kwargs["follower"], followee=kwargs["followee"])
