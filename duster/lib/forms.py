from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def apply_service(form, action: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a service for a valid form: (True, its result), or (False, None)
    with the service's ValidationError shown on the form, at the field it names
    (at the top, for a field the form does not show)."""
    try:
        return True, action()
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return False, None
        for name, errors in error.error_dict.items():
            if name in form.fields:
                form.add_error(name, errors)
            else:
                prefix = "" if name == NON_FIELD_ERRORS else f"{name.replace('_', ' ')}: "
                form.add_error(None, [prefix + " ".join(e.messages) for e in errors])
        return False, None
