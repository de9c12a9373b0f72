from django.urls import path

from . import views

app_name = "scheduler"

urlpatterns = [
    path("organizer/schedule/", views.schedule, name="schedule"),
    path("organizer/schedule/<int:pk>/", views.schedule_run, name="schedule_run"),
]
