"""Under /tags/, included before the tag pages (/tags/<slug>/): no path here
ends in a slash right after one segment, so no tag slug is shadowed."""

from django.urls import path

import duster.lib.urls  # noqa: F401  registers the <id:…> converter
from duster.tags.wrangling import search_views, views

urlpatterns = [
    path("search", search_views.tag_search, name="tag_search"),
    path("autocomplete", search_views.tag_autocomplete, name="tag_autocomplete"),
    # No trailing slash: "/tags/wrangle/" is the page of a tag called "Wrangle".
    path("wrangle", views.wrangling_queue, name="wrangling_queue"),
    path("wrangle/bulk", views.wrangling_bulk, name="wrangling_bulk"),
    path("wrangle/suggestion", views.wrangling_suggestion, name="wrangling_suggestion"),
    path("wrangle/undo/<id:pk>", views.wrangling_undo_view, name="wrangling_undo"),
    path("wrangle/<str:slug>/", views.tag_wrangle, name="tag_wrangle"),
    path("wrangle/<str:slug>/<str:action>", views.tag_wrangle, name="tag_wrangle_action"),
    path("<str:slug>/log", views.tag_log_view, name="tag_log"),
]
