"""E-mail in the recipient's language, rendered from templates (subject.txt, body.txt)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from bizweek.core.siteurl import site_url

logger = logging.getLogger(__name__)


def send_templated_mail(
    to: str,
    template: str,
    context: dict,
    language: str | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> bool:
    """Render `<template>_subject.txt` and `<template>_body.txt` in `language` and send them.

    A failed delivery is logged and reported as False rather than breaking the action
    (an approval must not be lost because the mail server is down).
    """
    if not to:
        return False
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"site_url": site_url(), **context}
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    for name, content, mimetype in attachments or []:
        message.attach(name, content, mimetype)
    try:
        message.send()
    except OSError:
        logger.exception("Could not send %s mail to %s", template, to)
        return False
    return True
