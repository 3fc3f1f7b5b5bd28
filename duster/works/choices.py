"""The fixed values a work is described with: languages, ratings, warnings,
categories, comment policies and states."""

from django.conf import global_settings
from django.db import models

from duster.tags.models import TagType, tag_key

LANGUAGES = sorted(global_settings.LANGUAGES, key=lambda lang: lang[1])
LANGUAGE_NAMES = dict(LANGUAGES)


class Rating(models.TextChoices):
    NOT_RATED = "not_rated", "Not Rated"
    GENERAL = "general", "General Audiences"
    TEEN = "teen", "Teen And Up Audiences"
    MATURE = "mature", "Mature"
    EXPLICIT = "explicit", "Explicit"


# Ratings that show the adult-content notice before the text.
ADULT_RATINGS = {Rating.NOT_RATED, Rating.MATURE, Rating.EXPLICIT}


class ArchiveWarning(models.TextChoices):
    CHOSE_NOT_TO_WARN = "no_warn", "Creator Chose Not To Use Archive Warnings"
    NONE_APPLY = "none", "No Archive Warnings Apply"
    VIOLENCE = "violence", "Graphic Depictions Of Violence"
    DEATH = "death", "Major Character Death"
    NONCON = "noncon", "Rape/Non-Con"
    UNDERAGE = "underage", "Underage"


class Category(models.TextChoices):
    FF = "ff", "F/F"
    FM = "fm", "F/M"
    GEN = "gen", "Gen"
    MM = "mm", "M/M"
    MULTI = "multi", "Multi"
    OTHER = "other", "Other"


# Fixed tags' keys to the values works use, per fixed type.
FIXED_CHOICES: dict[str, type[models.TextChoices]] = {
    TagType.RATING: Rating,
    TagType.WARNING: ArchiveWarning,
    TagType.CATEGORY: Category,
}
FIXED_VALUES: dict[str, dict[str, str]] = {
    tag_type: {tag_key(choice.label): choice.value for choice in choices}
    for tag_type, choices in FIXED_CHOICES.items()
}


class CommentPolicy(models.TextChoices):
    REGISTERED = "registered", "Only registered users can comment"
    ANYONE = "anyone", "Registered users and guests can comment"
    NOBODY = "nobody", "No one can comment"


class WorkState(models.TextChoices):
    DRAFT = "draft", "Draft"
    POSTED = "posted", "Posted"
    HIDDEN = "hidden", "Hidden by an administrator"
