from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from duster.accounts.forms import PreferencesForm, PseudForm, SignupForm
from duster.accounts.models import Pseud
from duster.accounts.services import pseud_save, user_activate, user_register


def signup(request):
    if request.user.is_authenticated:
        return redirect("user_detail", username=request.user.username)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_register(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            activation_url=lambda token: request.build_absolute_uri(
                reverse("activate", args=[token])
            ),
        )
        return render(request, "accounts/signup_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/signup.html", {"form": form})


def activate(request, token: str):
    user = user_activate(token=token)
    if user is None:
        return render(request, "accounts/activation_invalid.html", status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Your account is confirmed. Welcome!")
    return redirect("user_detail", username=user.username)


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your preferences were saved.")
        return redirect("preferences")
    return render(request, "accounts/preferences.html", {"form": form})


@login_required
def pseud_edit(request, pk: int | None = None):
    pseud = Pseud(user=request.user)
    if pk is not None:
        pseud = Pseud.objects.filter(pk=pk, user=request.user).first()
        if pseud is None:
            raise Http404("No such pseud.")
    form = PseudForm(request.POST or None, instance=pseud, user=request.user)
    if request.method == "POST" and form.is_valid():
        pseud_save(pseud=form.instance)
        messages.success(request, f"Your pseud “{pseud.name}” was saved.")
        return redirect("user_detail", username=request.user.username)
    return render(request, "accounts/pseud_form.html", {"form": form, "pseud": pseud})
