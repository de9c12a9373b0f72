import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Tests here create many accounts; the real password hasher would dominate the runtime."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
