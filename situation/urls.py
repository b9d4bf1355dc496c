from django.urls import path

from . import views

app_name = "situation"

urlpatterns = [
    path("", views.situation_page, name="page"),
    path("regions/<str:pcode>/", views.region_details, name="region-details"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
