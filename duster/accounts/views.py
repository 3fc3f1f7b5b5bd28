from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from duster.accounts import backends
from duster.accounts.client import client_address, site_url
from duster.accounts.forms import (
    LoginForm,
    PasswordResetForm,
    PreferencesForm,
    PseudForm,
    ReaderSettingsForm,
    ResetPasswordForm,
    SignupForm,
)
from duster.accounts.models import Pseud, User
from duster.accounts.services import (
    PREFERENCE_FIELDS,
    pseud_save,
    user_activate,
    user_preferences_save,
    user_reader_settings_save,
    user_register,
    user_resend_activation,
)
from duster.lib import reader
from duster.lib.forms import apply_service

# The signup whose owner just gave its password on the login page: the
# "send the confirmation again" button works for that account only.
UNCONFIRMED_SESSION_KEY = "accounts_unconfirmed_user"


def signup(request):
    if request.user.is_authenticated:
        return redirect("user_detail", username=request.user.username)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done, _ = apply_service(
            form,
            lambda: user_register(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                site_url=site_url(request),
            ),
        )
        if done:
            return render(
                request, "accounts/signup_done.html", {"email": form.cleaned_data["email"]}
            )
    return render(request, "accounts/signup.html", {"form": form})


def activate(request, token: str):
    user = user_activate(token=token)
    if user is None:
        return render(request, "accounts/activation_invalid.html", status=400)
    login(request, user, backend=backends.PATH)
    messages.success(request, "Your account is confirmed. Welcome!")
    return redirect("user_detail", username=user.username)


class LoginView(auth_views.LoginView):
    """Django's (it follows ?next= only to this site), with our form: it says
    when attempts are throttled or the address is not confirmed yet."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        self.request.session.pop(UNCONFIRMED_SESSION_KEY, None)
        return super().form_valid(form)

    def form_invalid(self, form):
        if form.unconfirmed_user is not None:
            self.request.session[UNCONFIRMED_SESSION_KEY] = form.unconfirmed_user.pk
        return super().form_invalid(form)


@require_POST
def activation_resend(request):
    user_id = request.session.get(UNCONFIRMED_SESSION_KEY)
    user = User.objects.filter(pk=user_id).first() if isinstance(user_id, int) else None
    if user is None:
        messages.info(
            request, "Log in with your username and password first; then you can ask for the link."
        )
        return redirect("login")
    try:
        user_resend_activation(
            user=user, address=client_address(request), site_url=site_url(request)
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("login")
    return render(request, "accounts/signup_done.html", {"email": user.email})


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

    def form_valid(self, form):
        form.save(site_url=site_url(self.request))
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ResetPasswordForm

    def form_valid(self, form):
        assert self.user is not None  # form_valid() runs only for a valid link
        was_pending = self.user.is_pending
        try:
            response = super().form_valid(form)
        except ValidationError as error:  # the address was confirmed elsewhere just now
            form.add_error(None, error)
            return self.form_invalid(form)
        if was_pending:
            messages.success(self.request, "Your account is confirmed too.")
        return response


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        done, _ = apply_service(
            form,
            lambda: user_preferences_save(
                user=request.user,
                changes={name: form.cleaned_data[name] for name in PREFERENCE_FIELDS},
            ),
        )
        if done:
            messages.success(request, "Your preferences were saved.")
            return redirect("preferences")
    return render(request, "accounts/preferences.html", {"form": form})


def _safe_next(request, target: str) -> str:
    """`target` if it is a path on this site, else the home page."""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


@require_http_methods(["GET", "HEAD", "POST"])
def reader_settings(request):
    """Change the reader settings and go back to the page they were changed on.

    Members send a POST (with its CSRF token) and the settings go into their
    preferences. Guests send a GET, so that the pages carrying the form hold
    nothing per visitor and can be cached: it sets only the guest's own
    display cookie. A GET without settings, or with invalid ones, shows the
    settings on a page of their own."""
    member = request.user.is_authenticated
    data = request.POST if request.method == "POST" else request.GET
    form = ReaderSettingsForm(data)
    current = reader.settings_for(request)
    sent = any(name in data for name in reader.SETTING_NAMES)
    applies = request.method == "POST" or (sent and not member)
    if applies and form.is_valid():
        chosen = current.updated(form.changes())
        response = HttpResponseRedirect(_safe_next(request, form.cleaned_data["back"]))
        if member:
            user_reader_settings_save(user=request.user, settings=chosen)
        else:
            reader.set_cookie(response, chosen, secure=settings.SESSION_COOKIE_SECURE)
        return response
    options = current.options()
    if applies:
        for option in options:
            option["errors"] = form.errors.get(option["name"], [])
    back = _safe_next(request, data.get("back", ""))
    return render(
        request,
        "reader_settings.html",
        {"reader_options": options, "reader_back": back, "reader_form": form if applies else None},
        status=400 if applies else 200,
    )


@login_required
def pseud_edit(request, pk: int | None = None):
    pseud = Pseud(user=request.user)
    if pk is not None:
        found = Pseud.objects.filter(pk=pk, user=request.user).first()
        if found is None:
            raise Http404("No such pseud.")
        pseud = found
    form = PseudForm(request.POST or None, instance=pseud, user=request.user)
    if request.method == "POST" and form.is_valid():
        pseud_save(pseud=form.instance)
        messages.success(request, f"Your pseud “{pseud.name}” was saved.")
        return redirect("user_detail", username=request.user.username)
    return render(request, "accounts/pseud_form.html", {"form": form, "pseud": pseud})
