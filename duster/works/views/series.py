"""Series: the author's reading order, set without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from duster.lib.forms import apply_service
from duster.lib.urls import parse_id
from duster.works.forms import PositionsForm, SeriesAddWorkForm, SeriesForm
from duster.works.models import Series, SeriesEntry
from duster.works.selectors import series_for_reader, works_credited_to
from duster.works.services.series import (
    series_add_work,
    series_create,
    series_delete,
    series_move_work,
    series_remove_work,
    series_reorder,
    series_update,
)


def _own_series(request, pk: int) -> Series:
    series = Series.objects.filter(pk=pk).first()
    if series is None or not series.is_creator(request.user):
        raise Http404("No such series.")
    return series


def _own_works(user):
    return works_credited_to(user, viewer=user).order_by("title")


@require_safe
def series_detail(request, pk: int):
    series, entries = series_for_reader(pk, request.user)
    context = {
        "series": series,
        "entries": entries,
        "is_creator": series.is_creator(request.user),
        "word_total": sum(e.work.word_count for e in entries),
    }
    return render(request, "works/series_detail.html", context)


@login_required
def series_new(request):
    form = SeriesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved, series = apply_service(
            form,
            lambda: series_create(pseud=form.cleaned_data["pseud"], fields=form.series_fields()),
        )
        if saved:
            messages.success(request, "Your series was created. Now add works to it.")
            return redirect("series_edit", pk=series.pk)
    return render(request, "works/series_form.html", {"form": form, "series": None})


@login_required
def series_edit(request, pk: int):
    """Title, summary and notes, and the works in their reading order."""
    series = _own_series(request, pk)
    form = _series_form(request, series, request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and apply_service(form, lambda: series_update(series=series, fields=form.series_fields()))[
            0
        ]
    ):
        messages.success(request, "Your series was saved.")
        return redirect(series)
    return render(request, "works/series_form.html", _edit_context(request, series, form=form))


def _series_form(request, series: Series, data=None) -> SeriesForm:
    initial = {
        "title": series.title,
        "complete": series.complete,
        "text_format": series.text_format,
        **{name: series.rich_text_source(name) for name in series.RICH_TEXT},
    }
    return SeriesForm(data, user=request.user, series=series, initial=initial)


def _edit_context(request, series: Series, **forms) -> dict:
    """The edit page's three forms; the one that was submitted comes in `forms`."""
    entries = list(series.entries.select_related("work").order_by("position"))
    in_series = [e.work_id for e in entries]
    context = {
        "series": series,
        "entries": entries,
        "form": _series_form(request, series),
        "order_form": PositionsForm(items=[e.work for e in entries], label=lambda w: w.title),
        "add_form": SeriesAddWorkForm(works=_own_works(request.user).exclude(pk__in=in_series)),
    }
    context.update(forms)
    return context


@login_required
@require_POST
def series_add_work_view(request, pk: int):
    series = _own_series(request, pk)
    in_series = series.entries.values("work_id")
    form = SeriesAddWorkForm(request.POST, works=_own_works(request.user).exclude(pk__in=in_series))
    if form.is_valid():
        work = form.cleaned_data["work"]
        position = form.cleaned_data["position"]
        if apply_service(
            form, lambda: series_add_work(series=series, work=work, position=position)
        )[0]:
            messages.success(request, f"“{work.title}” was added to the series.")
            return redirect("series_edit", pk=series.pk)
    return render(request, "works/series_form.html", _edit_context(request, series, add_form=form))


@login_required
@require_POST
def series_order(request, pk: int):
    series = _own_series(request, pk)
    works = [e.work for e in series.entries.select_related("work").order_by("position")]
    form = PositionsForm(request.POST, items=works, label=lambda w: w.title)
    if (
        form.is_valid()
        and (
            result := apply_service(
                form, lambda: series_reorder(series=series, positions=form.positions())
            )
        )[0]
    ):
        if result[1]:
            messages.success(request, "The series is in its new order.")
        else:
            messages.info(request, "The order is the same as before: nothing was changed.")
        return redirect("series_edit", pk=series.pk)
    return render(
        request, "works/series_form.html", _edit_context(request, series, order_form=form)
    )


def _own_entry(request, pk: int, work_id: int) -> tuple[Series, SeriesEntry]:
    series = _own_series(request, pk)
    entry = series.entries.filter(work_id=work_id).select_related("work").first()
    if entry is None:
        raise Http404("That work is not part of this series.")
    return series, entry


@login_required
@require_POST
def series_remove_work_view(request, pk: int, work_id: int):
    series, entry = _own_entry(request, pk, work_id)
    series_remove_work(series=series, work=entry.work)
    messages.success(request, f"“{entry.work.title}” was removed from the series.")
    return redirect("series_edit", pk=series.pk)


@login_required
@require_POST
def series_move_work_view(request, pk: int, work_id: int):
    """The no-JavaScript "Move up" / "Move down" buttons: POST a new position."""
    series, entry = _own_entry(request, pk, work_id)
    position = parse_id(request.POST.get("move_to", ""))
    if position is not None:
        try:
            series_move_work(series=series, work=entry.work, position=position)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"“{entry.work.title}” moved to place {position}.")
    else:
        messages.error(request, "Give the new place as a number.")
    return redirect("series_edit", pk=series.pk)


@login_required
def series_delete_view(request, pk: int):
    series = _own_series(request, pk)
    if request.method == "POST":
        series_delete(series=series)
        messages.success(request, f"The series “{series.title}” was deleted; its works remain.")
        return redirect("user_series", username=request.user.username)
    return render(request, "works/series_confirm_delete.html", {"series": series})
