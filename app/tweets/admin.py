from django.contrib import admin

from tweets.models import Like, Tweet


@admin.register(Tweet)
class TweetAdmin(admin.ModelAdmin):
    list_display = ("id", "author", "short_text", "created_at")
    list_filter = (("author", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("text", "author__username")
    date_hierarchy = "created_at"
    list_select_related = ("author",)
    # Ids, not selects: a select of every tweet or user would load the whole table into the form.
    raw_id_fields = ("author", "reply_to", "repost_of", "mentions", "hashtags")

    @admin.display(description="text")
    def short_text(self, tweet: Tweet) -> str:
        return tweet.text[:80]


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "tweet", "created_at")
    list_select_related = ("user", "tweet")
    raw_id_fields = ("user", "tweet")
