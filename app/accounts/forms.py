from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import BIO_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, User
from accounts.profiles import clean_bio, clean_display_name
from tweets import images


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username",)


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label="Display name",
        required=False,
        strip=False,  # accounts/profiles.py strips, so the rule lives in one place
        help_text="Shown beside your @username; leave it empty to show only that.",
        widget=forms.TextInput(attrs={"maxlength": DISPLAY_NAME_MAX_LENGTH, "autocomplete": "nickname"}),
    )
    bio = forms.CharField(
        label="Bio",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": BIO_MAX_LENGTH}),
    )
    avatar = forms.FileField(
        label="Avatar (optional)",
        required=False,
        widget=forms.FileInput(attrs={"accept": images.ACCEPT}),
    )
    remove_avatar = forms.BooleanField(label="Remove the avatar", required=False)

    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data["display_name"])

    def clean_bio(self) -> str:
        return clean_bio(self.cleaned_data["bio"])
