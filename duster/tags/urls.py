from django.urls import path

from duster.tags import views

urlpatterns = [
    path("fandoms/", views.fandom_index, name="fandom_index"),
    path("tags/<str:slug>/", views.tag_detail, name="tag_detail"),
    path("tags/<str:slug>/works", views.tag_works, name="tag_works"),
]
