from django.db import models


class CommentState(models.TextChoices):
    PUBLISHED = "published", "Published"
    QUEUED = "queued", "Awaiting approval"  # on a moderated work, until a creator approves
    HIDDEN = "hidden", "Hidden by a creator"  # only the work's creators and its writer see it
    DELETED = "deleted", "Deleted"  # a placeholder keeps the thread together


class NotificationKind(models.TextChoices):
    COMMENT = "comment", "Comment on your work"
    REPLY = "reply", "Reply to your comment"
    QUEUED = "queued", "Comment awaiting your approval"
    CHAPTER = "chapter", "New chapter"
    SERIES_PART = "series_part", "New part of a series"
    CREATOR_WORK = "creator_work", "New work by a creator"


class ReportState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"
