"""History, Marked for Later, blocking and reports."""

from django.urls import path

import duster.lib.urls  # noqa: F401  registers the <id:…> converter
from duster.community.views import blocks, reading, reports

urlpatterns = [
    path("account/history/", reading.history, name="history"),
    path("account/history/clear", reading.history_clear_view, name="history_clear"),
    path(
        "account/history/<id:work_id>/delete",
        reading.history_delete_view,
        name="history_delete",
    ),
    path("account/marked/", reading.marked_for_later, name="marked_for_later"),
    path("works/<id:pk>/mark_for_later", reading.mark_for_later, name="mark_for_later"),
    path("works/<id:pk>/unmark_for_later", reading.unmark_for_later, name="unmark_for_later"),
    path("account/blocks/", blocks.blocks, name="blocks"),
    path("users/<str:username>/block", blocks.user_block, name="user_block"),
    path("users/<str:username>/unblock", blocks.user_unblock, name="user_unblock"),
    path("works/<id:pk>/report", reports.report_work, name="work_report"),
    path("comments/<id:pk>/report", reports.report_comment, name="comment_report"),
    path("users/<str:username>/report", reports.report_user, name="user_report"),
]
