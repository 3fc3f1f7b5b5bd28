"""What a work, chapter or series may hold: one definition of each limit and
allowed value. The models and services enforce them; the forms reuse them for
their help texts and character counters."""

from django.conf import settings
from django.core.exceptions import ValidationError

TITLE_MAX = 255
SUMMARY_MAX = 1250
NOTES_MAX = 5000
BODY_MAX = 500_000
TAGS_PER_TYPE_MAX = 75
EXPECTED_CHAPTERS_MAX = 10_000
UPLOAD_MAX_BYTES = 10 * 1024 * 1024


def too_long(limit: int) -> dict[str, str]:
    """error_messages for a length-limited field: the limit and what was typed."""
    return {"max_length": f"Keep this to {limit:,} characters or fewer (it has %(show_value)s)."}


def validate_warnings(value) -> None:
    """At least one archive warning, each a known one; "chose not to warn" and
    "no warnings apply" stand alone."""
    from duster.works.models import ArchiveWarning

    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one archive warning.", code="required")
    unknown = [w for w in value if w not in ArchiveWarning.values]
    if unknown:
        raise ValidationError(
            f"“{str(unknown[0])[:40]}” is not an archive warning.", code="invalid_choice"
        )
    exclusive = {ArchiveWarning.CHOSE_NOT_TO_WARN, ArchiveWarning.NONE_APPLY}
    if len(value) > 1 and exclusive & set(value):
        raise ValidationError(
            "“Creator Chose Not To Use Archive Warnings” and “No Archive Warnings Apply” "
            "can't be combined with other warnings.",
            code="exclusive",
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each archive warning can be chosen once.", code="duplicate")


def validate_categories(value) -> None:
    from duster.works.models import Category

    if not isinstance(value, list):
        raise ValidationError("Categories must be a list.", code="invalid")
    unknown = [c for c in value if c not in Category.values]
    if unknown:
        raise ValidationError(f"“{str(unknown[0])[:40]}” is not a category.", code="invalid_choice")
    if len(set(value)) != len(value):
        raise ValidationError("Each category can be chosen once.", code="duplicate")


def tag_limit(field: str) -> int:
    """How many tags of one kind (a posting-form field name) a work may carry;
    the cap on additional tags is the archive's own setting."""
    if field == "freeforms":
        return settings.ADDITIONAL_TAGS_MAX
    return TAGS_PER_TYPE_MAX
