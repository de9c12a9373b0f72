from django.urls import path, re_path

from . import views

app_name = "dashboard"

FMT = r"(?P<fmt>xlsx|csv)"
KEY = r"(?P<key>[a-z_]+)"

urlpatterns = [
    path("organizer/figures/", views.figures_page, name="figures"),
    re_path(rf"^organizer/figures/all\.{FMT}$", views.figures_export, name="export_all"),
    re_path(rf"^organizer/figures/meetings\.{FMT}$", views.meetings_export, name="meetings"),
    re_path(rf"^organizer/figures/tables/{KEY}\.{FMT}$", views.figures_export, name="export"),
    path("organizer/figures/meetings/", views.queue_meetings_export, name="queue_meetings"),
    path("organizer/figures/exports/<int:pk>/", views.download_export, name="download_export"),
    path("organizer/figures/report/", views.report_page, name="report"),
    path("organizer/figures/report.pdf", views.report_pdf, name="report_pdf"),
    path("organizer/figures/nudges/", views.nudges_switch, name="nudges"),
    path("figures/", views.my_figures, name="mine"),
    re_path(rf"^figures/all\.{FMT}$", views.my_export, name="my_export_all"),
    re_path(rf"^figures/tables/{KEY}\.{FMT}$", views.my_export, name="my_export"),
    re_path(rf"^figures/leads\.{FMT}$", views.my_leads, name="leads"),
]
