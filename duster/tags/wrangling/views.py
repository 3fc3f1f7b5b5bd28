"""Wrangling pages: the unwrangled queue with its suggestions, one tag's
wrangling forms, the per-tag log and undo. Wranglers only (403 otherwise),
except the log, which anyone may read: wrangling is done in the open."""

from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from duster.lib.forms import apply_service
from duster.lib.pagination import paginate
from duster.tags.models import Tag, TagType, WranglingLog
from duster.tags.wrangling import forms as wf
from duster.tags.wrangling import services
from duster.tags.wrangling.permissions import wrangler_fandoms
from duster.tags.wrangling.selectors import refilter_jobs_running, tag_log, unwrangled_tags
from duster.tags.wrangling.services.undo import undoable
from duster.tags.wrangling.suggestions import suggestions_for

QUEUE_PER_PAGE = 50


def _wrangler(request) -> set[int] | None:
    """The fandoms the user wrangles (None: all); 403 for anyone else."""
    fandoms = wrangler_fandoms(request.user)
    if fandoms is not None and not fandoms:
        raise PermissionDenied("Only tag wranglers can see this page.")
    return fandoms


def _wranglable_tag(request, slug: str) -> Tag:
    _wrangler(request)
    tag = get_object_or_404(Tag.objects.select_related("merger"), slug=slug)
    if tag.fixed:
        raise Http404("Fixed tags are not wrangled.")
    return tag


# The queue


def _queue_params(request, own_fandoms: set[int] | None):
    """The queue's filter form (from the query string), type and fandoms."""
    form = wf.QueueForm(request.GET or None)
    tag_type, fandom_ids = TagType.FANDOM.value, own_fandoms
    if form.is_bound and form.is_valid():
        tag_type = form.cleaned_data["type"] or tag_type
        if fandom := form.cleaned_data["fandom"]:
            fandom_ids = {fandom.pk} if own_fandoms is None or fandom.pk in own_fandoms else set()
    return form, tag_type, fandom_ids


def _queue_redirect(request):
    """Back to the queue page the form was sent from."""
    query = request.GET.urlencode()
    return redirect(reverse("wrangling_queue") + (f"?{query}" if query else ""))


@require_safe
def wrangling_queue(request):
    form, tag_type, fandom_ids = _queue_params(request, _wrangler(request))
    return _queue_page(request, form=form, tag_type=tag_type, fandom_ids=fandom_ids)


def _queue_page(request, *, form, tag_type, fandom_ids, bulk_form=None, status=200):
    tags: QuerySet[Tag]
    if form.is_bound and not form.is_valid():
        tags = Tag.objects.none()
    else:
        tags = unwrangled_tags(tag_type=tag_type, fandom_ids=fandom_ids)
    page = paginate(request, tags, per_page=QUEUE_PER_PAGE)
    suggested = suggestions_for(list(page.object_list))
    rows = [(tag, suggested.get(tag.pk)) for tag in page.object_list]
    checked = set(request.POST.getlist("tags")) if request.method == "POST" else set()
    context = {
        "form": form,
        "bulk_form": bulk_form or wf.BulkForm(),
        "page": page,
        "rows": rows,
        "tag_type": tag_type,
        "type_label": TagType(tag_type).label,
        "checked": checked,
        "jobs": refilter_jobs_running(),
    }
    return render(request, "tags/wrangling/queue.html", context, status=status)


@require_POST
def wrangling_suggestion(request):
    """Accept or reject one suggestion."""
    _wrangler(request)
    form = wf.SuggestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That suggestion no longer exists.")
        return _queue_redirect(request)
    tag, canonical = form.cleaned_data["tag"], form.cleaned_data["canonical"]
    if form.cleaned_data["decision"] == "accept":
        done, _ = apply_service(
            form,
            lambda: services.tag_suggestion_accept(
                actor=request.user, tags=[tag], canonical=canonical
            ),
        )
        text = f"“{tag.name}” is now a synonym of “{canonical.name}”."
    else:
        done, _ = apply_service(
            form,
            lambda: services.tag_suggestion_reject(
                actor=request.user, tags=[tag], canonical=canonical
            ),
        )
        text = f"“{canonical.name}” won't be suggested for “{tag.name}” again."
    if done:
        messages.success(request, text)
    else:
        for error in form.non_field_errors():
            messages.error(request, str(error))
    return _queue_redirect(request)


@require_POST
def wrangling_bulk(request):
    own_fandoms = _wrangler(request)
    form = wf.BulkForm(request.POST)
    queue, tag_type, fandom_ids = _queue_params(request, own_fandoms)
    if form.is_valid():
        tags, action = list(form.cleaned_data["tags"]), form.cleaned_data["action"]
        # Set by the form for the actions that need it (merge, meta, fandom).
        target = cast(Tag, form.cleaned_data.get("target_tag"))
        run = {
            "accept": lambda: services.tag_suggestions_accept(actor=request.user, tags=tags),
            "reject": lambda: _reject_all(request.user, tags),
            "canonical": lambda: services.tag_make_canonical(actor=request.user, tags=tags),
            "merge": lambda: services.tag_merge(actor=request.user, tags=tags, into=target),
            "meta": lambda: services.tag_meta_add(actor=request.user, tags=tags, meta=target),
            "fandom": lambda: services.tag_fandom_add(actor=request.user, tags=tags, fandom=target),
        }[action]
        done, result = apply_service(_TargetErrors(form), run)
        if done:
            count = len(result) if result is not None else len(tags)
            messages.success(request, f"Done: {count} of {len(tags)} tags changed.")
            return _queue_redirect(request)
    return _queue_page(
        request, form=queue, tag_type=tag_type, fandom_ids=fandom_ids, bulk_form=form, status=400
    )


class _TargetErrors:
    """Shows a service's errors about "into", "meta" or "fandom" at the bulk
    form's target field."""

    def __init__(self, form):
        self.form = form
        self.fields = {**form.fields, "into": None, "meta": None, "fandom": None}

    def add_error(self, field, errors):
        if field in ("into", "meta", "fandom"):
            field = "target"
        self.form.add_error(field, errors)


def _reject_all(actor, tags: list[Tag]) -> list[Tag]:
    suggested = suggestions_for(tags)
    rejected = []
    for tag in tags:
        if (suggestion := suggested.get(tag.pk)) is not None:
            canonical = Tag.objects.get(pk=suggestion.canonical.id)
            services.tag_suggestion_reject(actor=actor, tags=[tag], canonical=canonical)
            rejected.append(tag)
    return rejected


# One tag

ACTIONS = {
    # action: (form class, service call, what the page says when it's done)
    "canonical": (wf.PlainForm, lambda u, t, d: services.tag_make_canonical(actor=u, tags=[t])),
    "uncanonical": (
        wf.PlainForm,
        lambda u, t, d: services.tag_make_uncanonical(actor=u, tags=[t]),
    ),
    "merge": (wf.MergeForm, lambda u, t, d: services.tag_merge(actor=u, tags=[t], into=d["into"])),
    "unmerge": (wf.PlainForm, lambda u, t, d: services.tag_unmerge(actor=u, tags=[t])),
    "meta_add": (
        wf.MetaForm,
        lambda u, t, d: services.tag_meta_add(actor=u, tags=[t], meta=d["meta"]),
    ),
    "meta_remove": (
        wf.MetaForm,
        lambda u, t, d: services.tag_meta_remove(actor=u, tags=[t], meta=d["meta"]),
    ),
    "fandom_add": (
        wf.FandomForm,
        lambda u, t, d: services.tag_fandom_add(actor=u, tags=[t], fandom=d["fandom"]),
    ),
    "fandom_remove": (
        wf.FandomForm,
        lambda u, t, d: services.tag_fandom_remove(actor=u, tags=[t], fandom=d["fandom"]),
    ),
    "media": (
        wf.MediaForm,
        lambda u, t, d: services.tag_media_set(actor=u, tags=[t], media=d["media_type"]),
    ),
    "rename": (wf.RenameForm, lambda u, t, d: services.tag_rename(actor=u, tag=t, name=d["name"])),
}
# The forms the page shows (removals are buttons beside each meta tag and fandom).
SHOWN = ("merge", "meta_add", "fandom_add", "media", "rename")


@require_http_methods(["GET", "HEAD", "POST"])
def tag_wrangle(request, slug: str, action: str = ""):
    tag = _wranglable_tag(request, slug)
    bound = None
    if request.method == "POST":
        if action not in ACTIONS:
            raise Http404("No such wrangling action.")
        form_class, run = ACTIONS[action]
        bound = form_class(request.POST, tag=tag, prefix=action)
        if bound.is_valid():
            data = bound.cleaned_data
            done, _ = apply_service(bound, lambda: run(request.user, tag, data))
            if done:
                messages.success(request, "Saved. The change is in the tag's log.")
                tag.refresh_from_db()
                return redirect("tag_wrangle", slug=tag.slug)
    forms = {
        name: bound
        if bound is not None and name == action
        else ACTIONS[name][0](
            tag=tag, prefix=name, initial={"media_type": tag.media} if name == "media" else None
        )
        for name in SHOWN
    }
    plain_error = bound if bound is not None and action not in SHOWN else None
    context = {
        "tag": tag,
        "forms": forms,
        "plain_error": plain_error,
        "synonyms": tag.synonyms.order_by("name"),
        "meta_tags": tag.meta_tags.order_by("name"),
        "sub_tags": tag.sub_tags.order_by("name"),
        "fandoms": tag.fandoms.order_by("name"),
        "suggestion": suggestions_for([tag]).get(tag.pk),
        "is_fandom": tag.type == TagType.FANDOM,
    }
    return render(
        request, "tags/wrangling/tag.html", context, status=400 if bound is not None else 200
    )


# The log


@require_safe
def tag_log_view(request, slug: str):
    tag = get_object_or_404(Tag, slug=slug)
    page = paginate(request, tag_log(tag))
    last = next((e for e in page.object_list if undoable(e)), None)
    can_undo = page.number == 1 and last is not None
    is_wrangler = wrangler_fandoms(request.user) != set()
    context = {
        "tag": tag,
        "page": page,
        "undo_entry": last if can_undo and is_wrangler else None,
    }
    return render(request, "tags/wrangling/log.html", context)


@require_POST
def wrangling_undo_view(request, pk: int):
    _wrangler(request)
    entry = get_object_or_404(WranglingLog.objects.select_related("tag"), pk=pk)
    try:
        services.wrangling_undo(actor=request.user, entry=entry)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, "Undone. The undo is in the log too.")
    return redirect("tag_log", slug=entry.tag.slug)
