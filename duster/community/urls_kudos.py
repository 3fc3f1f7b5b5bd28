from django.urls import path

import duster.lib.urls  # noqa: F401  registers the <id:…> converter
from duster.community.views import kudos

urlpatterns = [
    path("works/<id:pk>/kudos", kudos.kudos_leave_view, name="kudos_leave"),
]
