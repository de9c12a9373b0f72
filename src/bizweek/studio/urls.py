from django.urls import path

from . import views

app_name = "studio"

urlpatterns = [
    path("studio/", views.schedule, name="schedule"),
    path("studio/new/", views.new_show, name="new"),
    path("studio/<int:pk>/edit/", views.edit_show, name="edit"),
    path("studio/<int:pk>/cancel/", views.cancel_show, name="cancel"),
    path("studio/<int:pk>/restore/", views.restore_show, name="restore"),
    path("studio/<int:pk>/", views.watch, name="watch"),
    path("studio/<int:pk>.ics", views.session_ics, name="ics"),
    path("studio/<int:pk>/request/", views.request_consultation, name="request"),
    path("studio/<int:pk>/remind/", views.remind, name="remind"),
    path("studio/<int:pk>/hls/<str:name>", views.hls, name="hls"),
    path("studio/<int:pk>/console/", views.console, name="console"),
    path("studio/<int:pk>/console/destinations/", views.destinations, name="destinations"),
    path("studio/<int:pk>/console/rundown/", views.rundown, name="rundown"),
    path("studio/<int:pk>/console/<str:action>/", views.console_action, name="action"),
    path("studio/<int:pk>/health.json", views.health, name="health"),
    path("studio/<int:pk>/figures/", views.figures, name="figures"),
]
