"""The upload form that turns a file into a draft work (see duster.imports.services)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from duster.imports.services import IMPORT_FORMATS, WorkImportError, work_import
from duster.lib.text import FILE_MAX_BYTES
from duster.works.models import TITLE_MAX

_FORMAT_LABELS = {
    "auto": "Work it out from the file",
    "text": "Plain text",
    "markdown": "Markdown",
    "html": "HTML",
    "docx": "Word document (.docx)",
    "epub": "EPUB book",
    "efiction": "A story page saved from an eFiction archive",
    "ao3": "An AO3 download (HTML)",
}


class WorkImportForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=(
            "A .txt, .md, .html, .docx or .epub file of up to 10 MB: your own text, an AO3 "
            "download, or a story page saved (or copied as text) from an eFiction archive."
        ),
        error_messages={"required": "Choose a file to import.", "empty": "This file is empty."},
    )
    format = forms.ChoiceField(
        label="Format",
        choices=[(f, _FORMAT_LABELS[f]) for f in IMPORT_FORMATS],
        initial="auto",
        required=False,
    )
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=TITLE_MAX,
        help_text="Leave empty to use the title the file gives.",
    )
    fandom = forms.CharField(
        label="Fandom",
        required=False,
        max_length=TITLE_MAX,
        help_text="Leave empty to use the fandoms the file names.",
    )
    pseud = forms.ChoiceField(label="Credit this pseud")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        pseuds = list(user.pseuds.order_by("-is_default", "name"))
        self.pseuds = {str(p.pk): p for p in pseuds}
        if len(pseuds) > 1:
            field = self.fields["pseud"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(str(p.pk), p.name) for p in pseuds]
        else:
            del self.fields["pseud"]
        self.default_pseud = pseuds[0] if pseuds else None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > FILE_MAX_BYTES:
            raise forms.ValidationError("Upload a file of 10 MB or less.")
        return upload

    def chosen_pseud(self):
        if "pseud" in self.fields:
            return self.pseuds[self.cleaned_data["pseud"]]
        return self.default_pseud


@login_required
def work_import_view(request):
    form = WorkImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        fandom = form.cleaned_data["fandom"].strip()
        try:
            result = work_import(
                data=upload.read(),
                filename=upload.name,
                pseud=form.chosen_pseud(),
                fmt=form.cleaned_data["format"] or "auto",
                title=form.cleaned_data["title"].strip() or None,
                fandoms=[fandom] if fandom else None,
                post=False,
            )
        except WorkImportError as error:
            # The service's message starts with the file's name; the field says which file.
            message = str(error)
            prefix = f"{upload.name}: "
            form.add_error("file", message.removeprefix(prefix))
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(
                request, "Your work was imported as a draft. Check it here, then post it."
            )
            return redirect("work_preview", pk=result.work.pk)
    return render(request, "imports/work_import.html", {"form": form})
