"""PostgreSQL refuses tweet text that is not in Unicode NFC, the form clean_tweet_text stores.

A check Django's constraint API cannot express (`IS NFC NORMALIZED`, PostgreSQL 13+ on a UTF8
database), so it is plain SQL, skipped on the embedded SQLite default, which has no such predicate.
The visible-character rule stays in tweets/text.py: no database regex knows Unicode's categories.
"""

from django.db import migrations

CONSTRAINT = "tweet_text_nfc_normalized"


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE tweets_tweet ADD CONSTRAINT {CONSTRAINT} CHECK (text IS NFC NORMALIZED)"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE tweets_tweet DROP CONSTRAINT {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("tweets", "0001_initial")]

    operations = [migrations.RunPython(add, remove, elidable=False)]
