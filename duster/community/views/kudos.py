"""Kudos: a member's button on the work page posts here; a guest's cached
work page links to the GET page, which holds the form (and its CSRF token)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from duster.accounts.client import client_address
from duster.community.selectors.comments import work_for_commenter
from duster.community.services.kudos import kudos_leave


@require_http_methods(["GET", "HEAD", "POST"])
def kudos_leave_view(request, pk: int):
    # The work with its creators' accounts only (kudos_leave needs them):
    # not the tags and series a reading page loads.
    work = work_for_commenter(pk, request.user)
    if request.method != "POST":
        return render(request, "community/kudos_confirm.html", {"work": work})
    try:
        kudos_leave(work=work, user=request.user, address=client_address(request) or "")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Thank you for leaving kudos!")
    # 303: the browser follows with a GET, and a reload does not post again.
    return HttpResponseRedirect(work.get_absolute_url() + "#kudos", status=303)
