from django.urls import path

import duster.lib.urls  # noqa: F401  registers the <id:…> converter
from duster.community.views import bookmarks

urlpatterns = [
    path("works/<id:pk>/bookmark", bookmarks.work_bookmark, name="work_bookmark"),
    path("series/<id:pk>/bookmark", bookmarks.series_bookmark, name="series_bookmark"),
    path("bookmarks/<id:pk>/delete", bookmarks.bookmark_delete_view, name="bookmark_delete"),
    path("users/<str:username>/bookmarks", bookmarks.user_bookmarks, name="user_bookmarks"),
]
