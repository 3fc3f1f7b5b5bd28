from django.urls import path
from django.views.decorators.http import require_safe

from duster.search import feeds, views

urlpatterns = [
    path("works/search", views.work_search, name="work_search"),
    path("works/search.atom", require_safe(feeds.WorkSearchFeed()), name="work_search_feed"),
]
