"""The accounts app's counters. Names follow Prometheus conventions."""

from prometheus_client import Counter

SIGNUPS = Counter("tweetstack_signups_total", "Accounts created.")
LOGIN_FAILURES = Counter("tweetstack_login_failures_total", "Failed login attempts.")
FOLLOWS = Counter("tweetstack_follows_total", "Follows added (a repeated follow is not counted).")
PROFILE_UPDATES = Counter("tweetstack_profile_updates_total", "Profile edits saved.")
