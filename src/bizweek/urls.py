from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.static import serve as serve_media

from bizweek.accounts import views as account_views
from bizweek.api.api import api
from bizweek.events import views as event_views

admin.site.site_header = "Bizweek"
admin.site.site_title = "Bizweek"

urlpatterns = [
    path("", event_views.home, name="home"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("bizweek.accounts.urls")),
    path("", include("bizweek.companies.urls")),
    path("", include("bizweek.expo.urls")),
    path("", include("bizweek.matching.urls")),
    path("", include("bizweek.scheduler.urls")),
    path("", include("bizweek.meetings.urls")),
    path("", include("bizweek.notifications.urls")),
    path("", include("bizweek.audit.urls")),
    path("", include("bizweek.dashboard.urls")),
    path("", include("bizweek.studio.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]

if settings.SERVE_MEDIA:
    urlpatterns.append(
        re_path(r"^media/(?P<path>.*)$", serve_media, {"document_root": settings.MEDIA_ROOT})
    )

handler404 = "bizweek.core.views.page_not_found"
handler500 = "bizweek.core.views.server_error"
handler403 = "bizweek.core.views.permission_denied"
handler400 = "bizweek.core.views.bad_request"
