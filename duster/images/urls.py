from django.urls import path, re_path

from duster.images import views

urlpatterns = [
    path("", views.image_list, name="image_list"),
    # Served by ImagesMiddleware before sessions; the pattern is here for reverse().
    re_path(
        r"^(?P<name>[A-Za-z0-9_-]{16,40})\.(?P<extension>png|jpg|gif|webp)$",
        views.image_file,
        name="image_file",
    ),
    path("<str:name>/delete", views.image_delete_view, name="image_delete"),
]
