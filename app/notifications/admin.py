from django.contrib import admin

from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "kind", "actor", "read", "created_at")
    list_filter = ("kind", "read")
    list_select_related = ("recipient", "actor")
    raw_id_fields = ("recipient", "actor", "tweet")
