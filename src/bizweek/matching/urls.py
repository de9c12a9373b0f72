from django.urls import path

from . import views

app_name = "matching"

urlpatterns = [
    path("matching/requests/", views.request_list, {"box": "inbox"}, name="inbox"),
    path("matching/requests/sent/", views.request_list, {"box": "outbox"}, name="outbox"),
    path("matching/requests/new/<int:company_pk>/", views.new_request, name="new_request"),
    path("matching/requests/<int:pk>/", views.request_detail, name="request"),
    path("matching/requests/<int:pk>/accept/", views.accept, name="accept"),
    path("matching/requests/<int:pk>/propose/", views.propose, name="propose"),
    path(
        "matching/requests/<int:pk>/accept-unscheduled/",
        views.accept_unscheduled,
        name="accept_unscheduled",
    ),
    path("matching/requests/<int:pk>/decline/", views.decline, name="decline"),
    path("matching/requests/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("matching/requests/<int:pk>/messages/", views.request_message, name="request_message"),
    path("matching/meetings/<int:pk>/messages/", views.meeting_message, name="meeting_message"),
    path("matching/meetings/<int:pk>/move/", views.propose_move, name="propose_move"),
    path("matching/moves/<int:pk>/accept/", views.accept_move, name="accept_move"),
    path("matching/moves/<int:pk>/decline/", views.decline_move, name="decline_move"),
    path("matching/availability/", views.availability, name="availability"),
    path("matching/recommendations/", views.recommendations, name="recommendations"),
    path("organizer/matching/", views.organizer_settings, name="settings"),
    path("matching/marks/<int:company_pk>/", views.mark, name="mark"),
]
