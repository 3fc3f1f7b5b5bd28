from django.urls import re_path

from duster.downloads import views

urlpatterns = [
    re_path(
        r"^downloads/(?P<pk>[0-9]{1,18})/(?P<slug>[^/]+)\.(?P<extension>[a-z0-9]{2,5})$",
        views.download,
        name="download",
    ),
]
