"""Report pages for a work, a comment or a user. Guests may report too: these
are pages of their own (never cached, so they may carry a CSRF token), which
the cached work and user pages only link to."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from duster.accounts.client import client_address
from duster.community.choices import CommentState
from duster.community.models import REPORT_MAX, Comment
from duster.community.services.reports import report_file
from duster.community.views.blocks import active_user_named
from duster.lib.forms import apply_service
from duster.lib.urls import fast_reverse
from duster.works.selectors import work_for_reader


class ReportForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong?",
        widget=forms.Textarea(attrs={"rows": 8}),
        # No max_length here: the service says how long the text is, and the
        # typed text comes back whole.
        help_text=f"Tell the archive's admins what this breaks, and where. "
        f"At most {REPORT_MAX:,} characters.",
        strip=False,
        error_messages={"required": "Tell the admins what is wrong, please."},
    )
    reporter_email = forms.CharField(
        label="Your email address",
        required=False,
        help_text="So the admins can answer you. It is not shown to anyone else.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # Left empty by people; bots fill in every field they find.
    website = forms.CharField(
        required=False,
        label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, member: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if member:
            del self.fields["reporter_email"]

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(
                "This report looks automated (a hidden field was filled in): it was not sent."
            )
        return ""


def _report_page(request, *, target: dict, what: str, back: str):
    member = request.user.is_authenticated
    form = ReportForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        done, _ = apply_service(
            form,
            lambda: report_file(
                reporter=request.user if member else None,
                reporter_email=form.cleaned_data.get("reporter_email", ""),
                reason=form.cleaned_data["reason"],
                address="" if member else client_address(request) or "",
                **target,
            ),
        )
        if done:
            messages.success(
                request, "Thank you: your report is with the archive's admins, who will look at it."
            )
            return redirect(back)
    context = {"form": form, "what": what, "back": back}
    return render(request, "community/report_form.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def report_work(request, pk: int):
    work = work_for_reader(pk, request.user)
    return _report_page(
        request,
        target={"work": work},
        what=f"the work “{work.title}”",
        back=work.get_absolute_url(),
    )


@require_http_methods(["GET", "HEAD", "POST"])
def report_comment(request, pk: int):
    comment = (
        Comment.objects.filter(pk=pk)
        .exclude(state=CommentState.DELETED)
        .only("id", "work_id", "chapter_id", "state", "user_id")
        .first()
    )
    if comment is None:
        raise Http404("No such comment.")
    work = work_for_reader(comment.work_id, request.user)
    own = request.user.is_authenticated and comment.user_id == request.user.pk
    if comment.state != CommentState.PUBLISHED and not (own or work.is_creator(request.user)):
        raise Http404("No such comment.")
    comment.work = work
    back = work.get_absolute_url()
    if comment.chapter_id is not None and work.chapter_count > 1:
        back = fast_reverse("chapter_detail", work.pk, comment.chapter_id)
    return _report_page(
        request,
        target={"comment": comment},
        what=f"a comment on “{work.title}”",
        back=back,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def report_user(request, username: str):
    other = active_user_named(username)
    if other is None:
        raise Http404("No such user.")
    return _report_page(
        request,
        target={"reported_user": other},
        what=f"the user {other.username}",
        back=other.get_absolute_url(),
    )
