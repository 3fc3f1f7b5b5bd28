from django.urls import path

import duster.lib.urls  # noqa: F401  registers the <id:…> converter
from duster.community.views import comments as views

urlpatterns = [
    path("works/<id:pk>/comments/new", views.comment_new, name="comment_new"),
    path("works/<id:pk>/comments/queue", views.comment_queue_view, name="comment_queue"),
    path("comments/<id:pk>/", views.comment_detail, name="comment_detail"),
    path("comments/<id:pk>/edit", views.comment_edit_view, name="comment_edit"),
    path("comments/<id:pk>/delete", views.comment_delete_view, name="comment_delete"),
    path("comments/<id:pk>/hide", views.comment_hide_view, name="comment_hide"),
    path("comments/<id:pk>/unhide", views.comment_unhide_view, name="comment_unhide"),
    path("comments/<id:pk>/freeze", views.comment_freeze_view, name="comment_freeze"),
    path("comments/<id:pk>/unfreeze", views.comment_unfreeze_view, name="comment_unfreeze"),
    path("comments/<id:pk>/approve", views.comment_approve_view, name="comment_approve"),
]
