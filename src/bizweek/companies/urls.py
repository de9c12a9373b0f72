from django.urls import path

from . import views

app_name = "companies"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/sent/", views.registered, name="registered"),
    path("companies/", views.company_list, name="list"),
    path("companies/<int:pk>/", views.company_detail, name="detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="edit"),
    path("companies/<int:pk>/members/", views.company_members, name="members"),
    path("organizer/review/", views.review_queue, name="review_queue"),
    path("organizer/review/<int:pk>/approve/", views.approve, name="approve"),
    path("organizer/review/<int:pk>/reject/", views.reject, name="reject"),
    path("organizer/import/", views.import_view, name="import"),
    path("organizer/import/<int:pk>/", views.import_job, name="import_job"),
    path(
        "organizer/import/<int:pk>/progress/",
        views.import_job_progress,
        name="import_job_progress",
    ),
    path("hs/search/", views.hs_search, name="hs_search"),
    path("organizer/contacts/", views.contacts_view, name="contacts"),
]
