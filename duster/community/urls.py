from django.urls import include, path

urlpatterns = [
    path("", include("duster.community.urls_comments")),
    path("", include("duster.community.urls_kudos")),
    path("", include("duster.community.urls_bookmarks")),
    path("", include("duster.community.urls_subscriptions")),
    path("", include("duster.community.urls_reading")),
]
