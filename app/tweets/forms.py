from django import forms

from tweets import images
from tweets.models import TWEET_MAX_LENGTH
from tweets.text import clean_tweet_text


class TweetForm(forms.Form):
    text = forms.CharField(
        label="What's happening?",
        strip=False,  # clean_tweet_text strips, so the rule lives in one place
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "data-max-length": TWEET_MAX_LENGTH}),
    )
    image = forms.FileField(
        label="Image (optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": images.ACCEPT}),
    )

    def clean_text(self) -> str:
        return clean_tweet_text(self.cleaned_data["text"])
