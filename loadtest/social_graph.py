"""`make bench-social`'s social graph, generated from a seed: the same graph for the same arguments.

Followers follow a power law, as on real social sites: account i (0 is the most popular) is picked as a
followee with weight 1/(i+1)^FOLLOW_EXPONENT, so a few accounts are followed by a large share of users
and most by a handful. How many accounts a user follows is heavy-tailed too (Pareto), and so is how
much each user posts (a Zipf weight over a shuffled order: posting a lot is not the same as being
popular). Plain Python (random, bisect): the load generator needs no numeric library.

Pure data, no Django: loadtest/social_load.py writes it into PostgreSQL, and the benchmark reads the
same graph again to choose whose profiles the load reads and whom it follows.
"""

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

FOLLOW_EXPONENT = 1.0
POST_EXPONENT = 0.8
# Accounts a user follows: 8 × Pareto(1.5), a mean of ~24, capped.
FOLLOWING_SCALE, FOLLOWING_SHAPE, FOLLOWING_MAX = 8, 1.5, 1000
USER_PREFIX = "bench"
TEXTS = [
    "Reading the timeline over coffee.",
    "Fan-out on write keeps Home one Redis read away.",
    "Another day, another benchmark.",
    "Posting from the social graph generator.",
]


def username(index: int) -> str:
    return f"{USER_PREFIX}{index:06d}"


def fanout_username(followers: int) -> str:
    """The author the fan-out measurement posts as, with exactly that many followers."""
    return f"fanout{followers}"


def fanout_follower_username(followers: int, index: int) -> str:
    """A follower-only account, when an author needs more followers than the graph has users."""
    return f"fan{followers}x{index:06d}"


# fanout_follower_username's names: accounts that never read (no timeline of theirs is prepared).
FOLLOWER_ONLY = r"^fan[0-9]+x"


def _cumulative(weights: Iterator[float]) -> list[float]:
    return list(itertools.accumulate(weights))


@dataclass(frozen=True)
class Graph:
    users: int
    tweets: int
    seed: int = 14

    def __post_init__(self):
        if self.users < 2:
            raise ValueError(f"a social graph needs at least 2 users, not {self.users}")
        if self.tweets < 0:
            raise ValueError(f"the number of tweets cannot be negative ({self.tweets})")

    @cached_property
    def _popularity(self) -> list[float]:
        return _cumulative(1 / (rank + 1) ** FOLLOW_EXPONENT for rank in range(self.users))

    def following(self) -> Iterator[tuple[int, list[int]]]:
        """Each user and the users they follow (sorted, no one twice, never themselves). A generator
        seeded afresh on every call, so the graph can be walked twice (counters, then rows)."""
        rng = random.Random(f"{self.seed}-follows")
        population = range(self.users)
        for user in population:
            wanted = min(
                self.users - 1, FOLLOWING_MAX, round(FOLLOWING_SCALE * rng.paretovariate(FOLLOWING_SHAPE))
            )
            chosen: dict[int, None] = {}  # in the order drawn, so truncating keeps the draw's shape
            # Popular accounts come up again and again: draw in rounds until enough distinct ones.
            for _ in range(20):
                if len(chosen) >= wanted:
                    break
                draws = rng.choices(population, cum_weights=self._popularity, k=2 * (wanted - len(chosen)))
                chosen.update(dict.fromkeys(draw for draw in draws if draw != user))
            yield user, sorted(list(chosen)[:wanted])

    @cached_property
    def counts(self) -> tuple[list[int], list[int]]:
        """(followers, following) per user: the counters the app maintains, computed once."""
        followers, following = [0] * self.users, [0] * self.users
        for user, followees in self.following():
            following[user] = len(followees)
            for followee in followees:
                followers[followee] += 1
        return followers, following

    def authors(self) -> Iterator[int]:
        """The author of each tweet, oldest tweet first."""
        rng = random.Random(f"{self.seed}-tweets")
        order = list(range(self.users))
        rng.shuffle(order)
        cumulative = _cumulative(1 / (rank + 1) ** POST_EXPONENT for rank in range(self.users))
        remaining = self.tweets
        while remaining:
            batch = min(remaining, 100_000)
            yield from (
                order[rank] for rank in rng.choices(range(self.users), cum_weights=cumulative, k=batch)
            )
            remaining -= batch

    def shape(self) -> dict:
        """What the report says about the graph: how concentrated the followers are."""
        followers, following = self.counts
        ranked = sorted(followers, reverse=True)
        edges = sum(following)
        return {
            "users": self.users,
            "tweets": self.tweets,
            "seed": self.seed,
            "follows": edges,
            "max_followers": ranked[0],
            "median_followers": ranked[len(ranked) // 2],
            "top_account_followed_by": ranked[0] / self.users,
            "top_1pct_share_of_follows": sum(ranked[: max(1, self.users // 100)]) / max(1, edges),
            "mean_following": edges / self.users,
        }


def text(index: int, author: int) -> str:
    return f"{TEXTS[index % len(TEXTS)]} #{index} from @{username(author)}"
