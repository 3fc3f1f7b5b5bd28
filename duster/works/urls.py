from django.urls import path

from duster.works.views import chapters, lists, posting, reading, series

urlpatterns = [
    path("works/", lists.works_latest, name="works_latest"),
    path("works/new", posting.work_new, name="work_new"),
    path("works/<int:pk>/", reading.work_detail, name="work_detail"),
    path("works/<int:pk>/navigate", reading.work_navigate, name="work_navigate"),
    path("works/<int:pk>/edit", posting.work_edit, name="work_edit"),
    path("works/<int:pk>/preview", posting.work_preview, name="work_preview"),
    path("works/<int:pk>/post", posting.work_post_view, name="work_post"),
    path("works/<int:pk>/delete", posting.work_delete_view, name="work_delete"),
    path("works/<int:pk>/chapters/new", chapters.chapter_new, name="chapter_new"),
    path("works/<int:pk>/chapters/order", chapters.chapter_order, name="chapter_order"),
    path(
        "works/<int:pk>/chapters/<int:chapter_id>/",
        reading.chapter_detail,
        name="chapter_detail",
    ),
    path(
        "works/<int:pk>/chapters/<int:chapter_id>/edit",
        chapters.chapter_edit,
        name="chapter_edit",
    ),
    path(
        "works/<int:pk>/chapters/<int:chapter_id>/post",
        chapters.chapter_post_view,
        name="chapter_post",
    ),
    path(
        "works/<int:pk>/chapters/<int:chapter_id>/delete",
        chapters.chapter_delete_view,
        name="chapter_delete",
    ),
    path("invitations/<int:pk>/", posting.invitation_respond, name="invitation_respond"),
    path("series/new", series.series_new, name="series_new"),
    path("series/<int:pk>/", series.series_detail, name="series_detail"),
    path("series/<int:pk>/edit", series.series_edit, name="series_edit"),
    path("series/<int:pk>/order", series.series_order, name="series_order"),
    path("series/<int:pk>/works/add", series.series_add_work_view, name="series_add_work"),
    path(
        "series/<int:pk>/works/<int:work_id>/remove",
        series.series_remove_work_view,
        name="series_remove_work",
    ),
    path(
        "series/<int:pk>/works/<int:work_id>/move",
        series.series_move_work_view,
        name="series_move_work",
    ),
    path("series/<int:pk>/delete", series.series_delete_view, name="series_delete"),
    path("users/<str:username>/", lists.user_detail, name="user_detail"),
    path("users/<str:username>/works", lists.user_works, name="user_works"),
    path("users/<str:username>/series", lists.user_series, name="user_series"),
    path("tags/<str:slug>/", lists.tag_detail, name="tag_detail"),
    path("tags/<str:slug>/works", lists.tag_works, name="tag_works"),
]
