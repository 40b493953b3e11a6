from django.contrib import admin

from api.models import AccessToken


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    # Revoking is deleting; the digest is not shown (it identifies the token to whoever holds it).
    list_display = ("id", "user", "name", "prefix", "created_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    exclude = ("digest",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # created by their owner only, through the API, so the token is shown to them
