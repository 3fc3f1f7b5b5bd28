from django.contrib.auth import views as auth_views
from django.urls import path

import duster.lib.urls  # noqa: F401  registers the <id:…> converter
from duster.accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("activate/<str:token>/", views.activate, name="activate"),
    path("activation/resend/", views.activation_resend, name="activation_resend"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/mutes/", views.mute_toggle, name="mute_toggle"),
    path("preferences/searches/", views.saved_searches, name="saved_searches"),
    path("preferences/searches/add", views.saved_search_add_view, name="saved_search_add"),
    path(
        "preferences/searches/<id:pk>/delete",
        views.saved_search_delete_view,
        name="saved_search_delete",
    ),
    path("pseuds/new/", views.pseud_edit, name="pseud_new"),
    path("pseuds/<id:pk>/edit/", views.pseud_edit, name="pseud_edit"),
]
