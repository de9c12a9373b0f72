"""Jobs queued in the database are run by the worker that serve and `bizweek worker` use."""

from django.core.cache import cache
from django_tasks import task

from bizweek.core.tasks import run_pending_jobs


@task()
def remember(key: str, value: int) -> int:
    cache.set(key, value)
    return value * 2


def test_queued_job_runs_in_worker(transactional_db):
    result = remember.enqueue("job-test", 21)
    assert cache.get("job-test") is None  # queued, not run in the request
    run_pending_jobs()
    result.refresh()
    assert result.return_value == 42
    assert cache.get("job-test") == 21
