from django import template

from bizweek.dashboard.charts import format_value

register = template.Library()


@register.filter
def figure(value: object) -> str:
    """A number as the figures pages, the report and the PDF all print it."""
    if value is None:
        return "—"
    return format_value(value)
