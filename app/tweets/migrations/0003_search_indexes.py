"""Indexes behind search (tweets/search.py), PostgreSQL only: a GIN index on the tweets' text-search
vector (the exact expression the query uses) and a trigram index behind the username match (pg_trgm,
a trusted extension: the database owner may create it). SQLite matches substrings without them."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX tweet_text_search_idx ON tweets_tweet"
    " USING gin (to_tsvector('simple'::regconfig, COALESCE(text, '')))",
    # Django's icontains is UPPER(username::text) LIKE UPPER(%s).
    "CREATE INDEX user_username_trigram_idx ON accounts_user USING gin (UPPER(username::text) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX user_username_trigram_idx", "DROP INDEX tweet_text_search_idx"]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tweets", "0002_tweet_text_nfc_normalized"), ("accounts", "0002_username_unique_ignoring_case")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD), elidable=False)]
