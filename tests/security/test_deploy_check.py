"""`bizweek check --deploy` is clean with the production settings of docs/deployment.md."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(60),
    "DEBUG": "0",
    "ALLOWED_HOSTS": "bizweek.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://bizweek.example.org",
    "BIZWEEK_SITE_URL": "https://bizweek.example.org",
    "BIZWEEK_HTTPS": "1",
    "BIZWEEK_HSTS_INCLUDE_SUBDOMAINS": "1",
    "BIZWEEK_HSTS_PRELOAD": "1",
}


def test_check_deploy_is_clean_with_documented_production_settings(tmp_path):
    docs = (Path(__file__).parents[2] / "docs" / "deployment.md").read_text()
    for name in PRODUCTION:
        assert f"`{name}`" in docs, f"{name} is not documented in docs/deployment.md"
    skip = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the tests' own, not production's
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(
        PRODUCTION, BIZWEEK_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="bizweek.settings"
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


pytestmark = pytest.mark.filterwarnings("ignore")
