from django.urls import path

from duster.imports import redirects, views, views_claims

urlpatterns = [
    path("account/claim/<str:token>/", views_claims.account_claim, name="account_claim"),
    # Old eFiction addresses (see duster.imports.redirects).
    path("viewstory.php", redirects.viewstory, name="efiction_viewstory"),
    path("viewseries.php", redirects.viewseries, name="efiction_viewseries"),
    path("viewuser.php", redirects.viewuser, name="efiction_viewuser"),
    path("reviews.php", redirects.reviews, name="efiction_reviews"),
    *(
        path(page, redirects.nearest, {"page": page}, name=f"efiction_{page[:-4]}")
        for page in redirects.NEAREST
    ),
    path("works/import", views.work_import_view, name="work_import"),
]
