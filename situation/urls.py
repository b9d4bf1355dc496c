from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views
from .snapshot import views as snapshot_views

app_name = "situation"

urlpatterns = [
    path("", views.situation_page, name="page"),
    path("regions/<str:pcode>/", views.region_details, name="region-details"),
    # The page an alert email's links open (access.alerts.links): signed, readable without an account.
    path("regions/<str:pcode>/page/<str:token>/", views.region_page, name="region-page"),
    path("login/", views.LoginView.as_view(), name="login"),
    # The page script's words (gettext, interpolate): the djangojs catalogue of this app.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["situation"]), name="jsi18n"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("snapshot/", snapshot_views.snapshot_page, name="snapshot"),
]
