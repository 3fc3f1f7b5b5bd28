from django.urls import path  # noqa: F401

import duster.lib.urls  # noqa: F401  registers the <id:…> converter

urlpatterns: list = []
