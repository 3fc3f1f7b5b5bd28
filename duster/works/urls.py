from django.urls import path

import duster.lib.urls  # noqa: F401  registers the <id:…> converter
from duster.works.views import chapters, lists, posting, reading, series

urlpatterns = [
    path("works/", lists.works_latest, name="works_latest"),
    path("works/new", posting.work_new, name="work_new"),
    path("works/<id:pk>/", reading.work_detail, name="work_detail"),
    path("works/<id:pk>/navigate", reading.work_navigate, name="work_navigate"),
    path("works/<id:pk>/view_adult", reading.work_view_adult, name="work_view_adult"),
    path("works/<id:pk>/edit", posting.work_edit, name="work_edit"),
    path("works/<id:pk>/preview", posting.work_preview, name="work_preview"),
    path("works/<id:pk>/post", posting.work_post_view, name="work_post"),
    path("works/<id:pk>/delete", posting.work_delete_view, name="work_delete"),
    path("works/<id:pk>/leave", posting.work_leave_view, name="work_leave"),
    path("works/<id:pk>/chapters/new", chapters.chapter_new, name="chapter_new"),
    path("works/<id:pk>/chapters/order", chapters.chapter_order, name="chapter_order"),
    path(
        "works/<id:pk>/chapters/<id:chapter_id>/",
        reading.chapter_detail,
        name="chapter_detail",
    ),
    path(
        "works/<id:pk>/chapters/<id:chapter_id>/edit",
        chapters.chapter_edit,
        name="chapter_edit",
    ),
    path(
        "works/<id:pk>/chapters/<id:chapter_id>/post",
        chapters.chapter_post_view,
        name="chapter_post",
    ),
    path(
        "works/<id:pk>/chapters/<id:chapter_id>/delete",
        chapters.chapter_delete_view,
        name="chapter_delete",
    ),
    path("invitations/<id:pk>/", posting.invitation_respond, name="invitation_respond"),
    path("series/new", series.series_new, name="series_new"),
    path("series/<id:pk>/", series.series_detail, name="series_detail"),
    path("series/<id:pk>/edit", series.series_edit, name="series_edit"),
    path("series/<id:pk>/order", series.series_order, name="series_order"),
    path("series/<id:pk>/works/add", series.series_add_work_view, name="series_add_work"),
    path(
        "series/<id:pk>/works/<id:work_id>/remove",
        series.series_remove_work_view,
        name="series_remove_work",
    ),
    path(
        "series/<id:pk>/works/<id:work_id>/move",
        series.series_move_work_view,
        name="series_move_work",
    ),
    path("series/<id:pk>/delete", series.series_delete_view, name="series_delete"),
    path("users/<str:username>/", lists.user_detail, name="user_detail"),
    path("users/<str:username>/works", lists.user_works, name="user_works"),
    path("users/<str:username>/series", lists.user_series, name="user_series"),
]
