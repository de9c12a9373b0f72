from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The `bizweek demo` command and the deterministic content it is built from."""

    name = "bizweek.demo"
    label = "bizweek_demo"
