from django.contrib import admin
from django.urls import include, path

from duster.works.views.lists import home

urlpatterns = [
    path("", home, name="home"),
    path("account/", include("duster.accounts.urls")),
    path("admin/", admin.site.urls),
    path("images/", include("duster.images.urls")),
    path("", include("duster.works.urls")),
]
