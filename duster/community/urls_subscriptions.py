from django.urls import path

import duster.lib.urls  # noqa: F401  registers the <id:…> converter
from duster.community.views import inbox, subscriptions

urlpatterns = [
    path("works/<id:pk>/subscribe", subscriptions.work_subscribe, name="work_subscribe"),
    path("works/<id:pk>/unsubscribe", subscriptions.work_unsubscribe, name="work_unsubscribe"),
    path("series/<id:pk>/subscribe", subscriptions.series_subscribe, name="series_subscribe"),
    path("series/<id:pk>/unsubscribe", subscriptions.series_unsubscribe, name="series_unsubscribe"),
    path("users/<str:username>/subscribe", subscriptions.user_subscribe, name="user_subscribe"),
    path(
        "users/<str:username>/unsubscribe",
        subscriptions.user_unsubscribe,
        name="user_unsubscribe",
    ),
    path("account/subscriptions/", subscriptions.subscriptions_list, name="subscriptions"),
    path("unsubscribe/<str:token>", subscriptions.unsubscribe, name="unsubscribe"),
    path("account/inbox/", inbox.inbox, name="inbox"),
    path("account/inbox/read", inbox.inbox_mark_all_read, name="inbox_mark_all_read"),
    path("account/inbox/<id:pk>/open", inbox.inbox_open, name="inbox_open"),
]
