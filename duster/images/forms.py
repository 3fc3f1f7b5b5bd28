from django import forms

from duster.images.models import ImageHostPolicy
from duster.images.processing import ACCEPT


class ImageUploadForm(forms.Form):
    file = forms.FileField(
        label="Image",
        help_text="PNG, JPEG, GIF or WebP. Its metadata (camera, place, date) is removed.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        error_messages={
            "required": "Choose an image file to upload.",
            "empty": "This file is empty. Choose an image file.",
            "invalid": "No file came with the form. Choose an image file and try again.",
        },
    )


class ImageHostPolicyForm(forms.ModelForm):
    class Meta:
        model = ImageHostPolicy
        fields = ["allowed_hosts"]
        widgets = {"allowed_hosts": forms.Textarea(attrs={"rows": 6, "cols": 60})}
