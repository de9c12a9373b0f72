from django.urls import path

from . import views

app_name = "scheduler"

urlpatterns = [
    path("organizer/schedule/", views.schedule, name="schedule"),
    path("organizer/schedule/<int:pk>/", views.schedule_run, name="schedule_run"),
    path("organizer/schedule/jobs/<int:pk>/", views.job, name="job"),
    path("organizer/schedule/jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
]
