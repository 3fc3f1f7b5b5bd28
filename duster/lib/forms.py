from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError


def apply_service(form, action: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a service for a valid form: (True, its result), or (False, None)
    with the service's ValidationError shown on the form, at the field it names."""
    try:
        return True, action()
    except ValidationError as error:
        form.add_error(None, error)
        return False, None
