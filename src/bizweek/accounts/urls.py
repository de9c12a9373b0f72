from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
    path("confirm/<uidb64>/<token>/", views.confirm_email, name="confirm"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.create_token, name="create_token"),
    path("profile/tokens/<int:pk>/revoke/", views.revoke_token, name="revoke_token"),
]
