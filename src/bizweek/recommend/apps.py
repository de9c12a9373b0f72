from django.apps import AppConfig


class RecommendConfig(AppConfig):
    """Buyer–seller recommendations: the index, HS inference, text similarity and reasons."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "bizweek.recommend"
