from django.urls import path

from duster.downloads import views_export

urlpatterns = [
    path("account/export/", views_export.export_index, name="export_index"),
    path("account/export/data.json", views_export.account_data, name="account_data_export"),
    path("account/export/works/", views_export.works_export, name="works_export"),
    path(
        "account/export/works/<str:token>/",
        views_export.works_export_status,
        name="works_export_status",
    ),
    path(
        "account/export/works/<str:token>.zip",
        views_export.works_export_file,
        name="works_export_file",
    ),
]
