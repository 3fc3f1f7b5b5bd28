from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duster.accounts import backends
from duster.accounts.client import client_address, site_url
from duster.accounts.forms import (
    LoginForm,
    MutedTagsForm,
    MutedUsersForm,
    MuteToggleForm,
    PasswordResetForm,
    PreferencesForm,
    PseudForm,
    ReaderSettingsForm,
    ResetPasswordForm,
    SavedSearchForm,
    SignupForm,
)
from duster.accounts.models import Pseud, User, search_url
from duster.accounts.mutes import (
    mute_tag,
    mute_user,
    muted_tags,
    muted_users,
    saved_search_add,
    saved_search_delete,
    saved_searches_of,
    search_query_normalize,
    tag_to_toggle,
    unmute_tag,
    unmute_user,
    users_named,
)
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
from duster.lib.urls import local_or

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
    """Every preference on one page, with the reader's muted tags and
    creators: the page has a form for each, told apart by their fields."""
    user = request.user
    form = PreferencesForm(instance=user)
    tags_form = MutedTagsForm(viewer=user)
    users_form = MutedUsersForm()
    if request.method == "POST" and "muted_tags" in request.POST:
        tags_form = MutedTagsForm(request.POST, viewer=user)
        muted = _mute_from(tags_form, "muted_tags", lambda tag: mute_tag(user=user, tag=tag))
        if muted is not None:
            return _muted(request, [tag.name for tag in muted], "#muted-tags")
    elif request.method == "POST" and "muted_users" in request.POST:
        users_form = MutedUsersForm(request.POST)
        muted = _mute_from(
            users_form, "muted_users", lambda other: mute_user(user=user, other=other)
        )
        if muted is not None:
            return _muted(request, [other.username for other in muted], "#muted-users")
    elif request.method == "POST":
        form = PreferencesForm(request.POST, instance=user)
        if form.is_valid():
            done, _ = apply_service(
                form,
                lambda: user_preferences_save(
                    user=user,
                    changes={name: form.cleaned_data[name] for name in PREFERENCE_FIELDS},
                ),
            )
            if done:
                messages.success(request, "Your preferences were saved.")
                return redirect("preferences")
    context = {
        "form": form,
        "tags_form": tags_form,
        "users_form": users_form,
        "muted_tags": muted_tags(user),
        "muted_users": muted_users(user),
    }
    return render(request, "accounts/preferences.html", context)


def _mute_from(form, field: str, mute: Callable) -> list | None:
    """Mute all that a valid box named, or nothing: the rule a service refuses
    by (too many, yourself) is shown at the box. What was muted, or None."""
    if not form.is_valid():
        return None
    try:
        with transaction.atomic():
            return [mute(thing) for thing in form.cleaned_data[field]]
    except ValidationError as error:
        form.add_error(field, error)
        return None


def _muted(request, names: list[str], anchor: str) -> HttpResponseRedirect:
    messages.success(request, "Muted: " + ", ".join(dict.fromkeys(names)) + ".")
    return redirect(reverse("preferences") + anchor)


def _safe_next(request, target: str, default: str = "home") -> str:
    """`target` if it is a path on this site, else the `default` page."""
    return local_or(request, target, reverse(default))


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


# --- Muting from a tag's or a creator's page ------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def mute_toggle(request):
    """POST `tag` (a slug) or `user` (a username), `action` (mute or
    unmute) and `next` (the page to go back to). A guest is sent to log in
    and back to that page; a GET (a link, or a login's way back) shows the
    preferences, where the mutes are listed."""
    back = _safe_next(request, request.POST.get("next", ""), default="preferences")
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    if request.method != "POST":
        return redirect("preferences")
    form = MuteToggleForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "That request to mute or unmute was not understood: nothing changed."
        )
        return redirect(back)
    mute = form.cleaned_data["action"] == "mute"
    try:
        if form.cleaned_data["tag"]:
            _tag_mute_toggle(request, form.cleaned_data["tag"], mute)
        else:
            _user_mute_toggle(request, form.cleaned_data["user"], mute)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(back)


def _tag_mute_toggle(request, slug: str, mute: bool) -> None:
    tag = tag_to_toggle(slug, viewer=request.user)
    if tag is None:
        raise ValidationError("There is no such tag: nothing changed.")
    if mute:
        tag = mute_tag(user=request.user, tag=tag)
        messages.success(request, f"“{tag.name}” is muted: its works are left out of what you see.")
    else:
        tag = unmute_tag(user=request.user, tag=tag)
        messages.success(request, f"“{tag.name}” is no longer muted.")


def _user_mute_toggle(request, username: str, mute: bool) -> None:
    found, _ = users_named([username])
    if not found:
        raise ValidationError("Nobody here has that username: nothing changed.")
    other = found[0]
    if mute:
        mute_user(user=request.user, other=other)
        messages.success(
            request, f"{other.username} is muted: their works and comments are left out."
        )
    else:
        unmute_user(user=request.user, other=other)
        messages.success(request, f"{other.username} is no longer muted.")


# --- Saved searches --------------------------------------------------------------------------


@require_safe
@login_required
def saved_searches(request):
    return render(
        request, "accounts/saved_searches.html", {"searches": saved_searches_of(request.user)}
    )


@require_POST
@login_required
def saved_search_add_view(request):
    """Save the search a reader is looking at and show it again."""
    form = SavedSearchForm(request.POST)
    try:
        back = search_url(search_query_normalize(request.POST.get("query", "")))
    except ValidationError:
        back = search_url("")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    try:
        search = saved_search_add(
            user=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    messages.success(
        request, f"This search is saved as “{search.name}”: find it under your saved searches."
    )
    return redirect(search.get_absolute_url())


@require_POST
@login_required
def saved_search_delete_view(request, pk: int):
    try:
        search = saved_search_delete(user=request.user, pk=pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The saved search “{search.name}” was deleted.")
    return redirect("saved_searches")
