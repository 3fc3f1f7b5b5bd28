from django.contrib import admin
from django.urls import include, path

from duster.accounts.views import reader_settings
from duster.lib.views import favicon, web_manifest
from duster.works.views.lists import home

handler500 = "duster.lib.views.server_error"

urlpatterns = [
    path("", home, name="home"),
    path("reader", reader_settings, name="reader_settings"),
    path("favicon.ico", favicon),
    path("site.webmanifest", web_manifest, name="web_manifest"),
    path("apple-touch-icon.png", favicon, {"name": "apple-touch-icon.png"}),
    path("account/", include("duster.accounts.urls")),
    path("admin/", admin.site.urls),
    path("images/", include("duster.images.urls")),
    path("tags/", include("duster.tags.wrangling.urls")),
    path("", include("duster.search.urls")),
    path("", include("duster.community.urls")),
    path("", include("duster.downloads.urls")),
    path("", include("duster.downloads.urls_feeds")),
    path("", include("duster.downloads.urls_export")),
    path("", include("duster.imports.urls")),
    path("", include("duster.works.urls")),
    path("", include("duster.tags.urls")),
]
