from django.urls import path

from . import views

app_name = "expo"

urlpatterns = [
    path("hall/", views.hall, name="hall"),
    path("hall/<slug:sector>/", views.hall, name="sector_hall"),
    path("booths/<int:pk>/", views.booth, name="booth"),
    path("booths/<int:pk>/edit/", views.booth_edit, name="booth_edit"),
    path("booths/<int:pk>/edit/publish/", views.booth_publish, name="booth_publish"),
    path("booths/<int:pk>/edit/feature/", views.booth_feature, name="booth_feature"),
    path("booths/<int:pk>/edit/upload/<str:field>/", views.booth_upload, name="booth_upload"),
    path("booths/<int:pk>/edit/clear/<str:field>/", views.booth_clear, name="booth_clear"),
    path("booths/<int:pk>/edit/products/new/", views.product_edit, name="product_new"),
    path(
        "booths/<int:pk>/edit/products/<int:product_pk>/",
        views.product_edit,
        name="product_edit",
    ),
    path(
        "booths/<int:pk>/edit/products/<int:product_pk>/delete/",
        views.product_delete,
        name="product_delete",
    ),
    path(
        "booths/<int:pk>/edit/products/<int:product_pk>/move/",
        views.product_move,
        name="product_move",
    ),
    path(
        "booths/<int:pk>/edit/photos/<int:photo_pk>/delete/",
        views.photo_delete,
        name="photo_delete",
    ),
    path("booths/<int:pk>/edit/brochures/", views.brochure_add, name="brochure_add"),
    path(
        "booths/<int:pk>/edit/brochures/<int:brochure_pk>/delete/",
        views.brochure_delete,
        name="brochure_delete",
    ),
    path("booths/<int:pk>/visitors/", views.booth_stats, name="booth_stats"),
    path("organizer/visitors/", views.all_stats, name="all_stats"),
    path("products/<int:pk>/", views.product_detail, name="product"),
    path("qr/<str:kind>/<int:pk>.svg", views.qr_code, name="qr"),
]
