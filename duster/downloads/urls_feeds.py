"""The OPDS catalog (/opds/…) and the Atom feeds of tags, creators and
series. Included from duster/urls.py before the works and tag pages; no
path here shadows one of theirs (each feed ends in "feed.atom")."""

from django.urls import path
from django.views.decorators.http import require_safe

import duster.lib.urls  # noqa: F401  registers the <id:…> converter
from duster.downloads import feeds, opds

urlpatterns = [
    path("opds/", opds.opds_root, name="opds_root"),
    path("opds/opensearch.xml", opds.opds_opensearch, name="opds_opensearch"),
    path("opds/search", opds.opds_search, name="opds_search"),
    path("opds/recent", opds.opds_recent, name="opds_recent"),
    path("opds/fandoms", opds.opds_fandoms, name="opds_fandoms"),
    path("opds/tags", opds.opds_tags, name="opds_tags"),
    path("opds/tags/<str:slug>", opds.opds_tag, name="opds_tag"),
    path("opds/series", opds.opds_series_list, name="opds_series_list"),
    path("opds/series/<id:pk>", opds.opds_series, name="opds_series"),
    path("opds/creators", opds.opds_creators, name="opds_creators"),
    path("opds/creators/<str:username>", opds.opds_creator, name="opds_creator"),
    path("tags/<str:slug>/feed.atom", require_safe(feeds.TagFeed()), name="tag_feed"),
    path("users/<str:username>/feed.atom", require_safe(feeds.CreatorFeed()), name="user_feed"),
    path("series/<id:pk>/feed.atom", require_safe(feeds.SeriesFeed()), name="series_feed"),
]
