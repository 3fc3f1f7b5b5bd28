"""How every form on the site is drawn: one field template (label, help,
error, input) and the bound field that knows where an error summary should
send the reader. Chosen by settings.FORM_RENDERER, so Django's own forms
(log in, passwords) get the same markup as ours."""

from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.forms.widgets import ChoiceWidget


class FieldBoundField(BoundField):
    @property
    def anchor_id(self) -> str:
        """The id an error summary links to: the input itself, so following
        the link puts the focus in it; for a group of checkboxes or radio
        buttons, its first box."""
        if not self.auto_id:
            return ""
        if self.id_for_label:
            return self.id_for_label
        if self.use_fieldset and isinstance(self.field.widget, ChoiceWidget):
            return f"{self.auto_id}_0"
        return self.auto_id


class FormRenderer(DjangoTemplates):
    # Found in duster/lib/templates (an installed app), beside Django's widgets.
    field_template_name = "forms/field.html"
    bound_field_class = FieldBoundField
