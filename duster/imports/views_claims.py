"""The page where a member of an imported archive claims their account."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from duster.accounts import backends
from duster.imports.claims import claim_account, claimed_works, user_for_claim_token
from duster.imports.forms_claims import ClaimForm
from duster.lib.forms import apply_service


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "HEAD", "POST"])
def account_claim(request, token: str):
    user = user_for_claim_token(token)
    if user is None:
        return render(request, "imports/claim_invalid.html", status=400)
    form = ClaimForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        done, claimed = apply_service(
            form,
            lambda: claim_account(
                user=user, password=form.cleaned_data["new_password1"], orphan=form.orphan
            ),
        )
        if done:
            login(request, claimed, backend=backends.PATH)
            if form.orphan:
                messages.success(
                    request, "Your account is yours now, and your works are orphaned. Welcome!"
                )
            else:
                messages.success(request, "Your account and your works are yours now. Welcome!")
            return redirect("user_detail", username=claimed.username)
    context = {
        "title": "Claim your account",
        "form": form,
        "account": user,
        "works": list(claimed_works(user)),
    }
    return render(request, "imports/claim.html", context)
