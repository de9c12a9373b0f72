from django.urls import path

from . import views

app_name = "meetings"

urlpatterns = [
    path("meetings/", views.my_meetings, name="mine"),
    path("meetings/<int:pk>/", views.detail, name="detail"),
    path("meetings/<int:pk>/room/", views.room, name="room"),
    path("meetings/<int:pk>/files/", views.share_file, name="share_file"),
    path("meetings/<int:pk>/files/<int:file_id>/", views.shared_file, name="file"),
    path("meetings/<int:pk>/not-happened/", views.not_happened, name="not_happened"),
    path("meetings/<int:pk>/log/<int:company_id>/", views.consultation_log, name="log"),
    path("organizer/meetings/rates/", views.exchange_rates, name="rates"),
    path("organizer/meetings/live/", views.control_tower, name="tower"),
    path("organizer/meetings/checks/", views.checks, name="checks"),
    path("meetings/check/", views.check, name="check"),
    path("meetings/<int:pk>/meeting.ics", views.ics, name="ics"),
    path("meetings/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("meetings/<int:pk>/interpreter/", views.assign_interpreter, name="assign_interpreter"),
    path("meetings/calendar/reset/", views.reset_feed, name="reset_feed"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
    path("organizer/interpretation/", views.interpretation, name="interpretation"),
]
