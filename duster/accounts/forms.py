from django import forms
from django.contrib.auth.forms import BaseUserCreationForm
from django.db.models.functions import Lower

from duster.accounts.models import Pseud, User
from duster.accounts.services import expired_signups


class SignupForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "email")

    # clean_username and clean_email check uniqueness themselves, ignoring case
    # and letting an expired signup go; the model's checks would refuse a name
    # or address such a signup still holds.
    def validate_unique(self):
        pass

    def validate_constraints(self):
        pass

    def clean_username(self):
        username = self.cleaned_data["username"]
        taken = User.objects.filter(username__iexact=username).exclude(pk__in=expired_signups())
        if taken.exists():
            raise forms.ValidationError("That username is taken.")
        return username

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exclude(pk__in=expired_signups()).exists():
            raise forms.ValidationError(
                "An account with this email address exists already. Log in, or reset the password."
            )
        return email


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("view_adult", "time_zone")
        labels = {"time_zone": "Time zone"}
        help_texts = {"time_zone": "Dates and times are shown in this zone."}


class PseudForm(forms.ModelForm):
    class Meta:
        model = Pseud
        fields = ("name", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"description": "Plain text, up to 500 characters."}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk and self.instance.is_default:
            self.fields["name"].disabled = True
            self.fields["name"].help_text = "Your default pseud is always your username."

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        taken = (
            Pseud.objects.filter(user=self.user)
            .annotate(lname=Lower("name"))
            .filter(lname=name.lower())
            .exclude(pk=self.instance.pk)
        )
        if taken.exists():
            raise forms.ValidationError("You have a pseud with this name already.")
        return name
