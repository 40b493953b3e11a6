"""The notifications app's counter. Names follow Prometheus conventions; its label values are the kinds."""

from prometheus_client import Counter

from notifications.kinds import Kind

NOTIFICATIONS = Counter("tweetstack_notifications_total", "Notifications sent, by kind.", ["kind"])

# Export every series from the start, so rates exist before the first notification.
for kind in Kind.values:
    NOTIFICATIONS.labels(kind=kind)
