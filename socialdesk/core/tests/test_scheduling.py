"""The scheduler of periodic jobs: the configured tasks exist, a due run is enqueued as a task
result row for the worker, and a slot is enqueued once however many schedulers try."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.tasks import Task
from django_tasks_db.models import DBTaskResult

from socialdesk.core.models import ScheduledRun
from socialdesk.core.scheduling import (
    ScheduleEntry,
    due_slot,
    enqueue_due,
    next_run,
    schedule_entries,
    scheduled_run_enqueue,
    scheduler_build,
    task_resolve,
)

HK = ZoneInfo("Asia/Hong_Kong")
REMINDERS = "socialdesk.cases.tasks.send_daily_reminders"
EXPIRY = "socialdesk.api.tasks.expire_idempotency_keys"


@pytest.fixture
def database_tasks(settings: Any) -> None:
    """Tasks go to the database, as in production (the test settings run them at once)."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def _entry(name: str = "case_reminders") -> ScheduleEntry:
    return next(e for e in schedule_entries() if e.name == name)


# The schedule ------------------------------------------------------------------------------------


def test_every_configured_job_resolves_to_a_task() -> None:
    entries = schedule_entries()
    assert {e.task_path for e in entries} >= {REMINDERS, EXPIRY}
    for entry in entries:
        assert isinstance(entry.task, Task), entry.task_path
        assert entry.timezone == "Asia/Hong_Kong"


def test_reminders_are_due_at_a_quarter_past_seven_hong_kong_time() -> None:
    entry = _entry()
    after = datetime(2026, 11, 23, 8, 0, tzinfo=HK)
    assert next_run(entry, after) == datetime(2026, 11, 24, 7, 15, tzinfo=HK)
    assert _entry("idempotency_keys_expire").cron == "30 3 * * *"


def test_hour_and_minute_stand_for_a_daily_cron() -> None:
    [entry] = schedule_entries([{"name": "x", "task": REMINDERS, "hour": 7, "minute": 15}])
    assert entry.cron == "15 7 * * *"


def test_a_schedule_can_be_a_dict_by_name() -> None:
    [entry] = schedule_entries({"nightly": {"task": EXPIRY, "cron": "0 2 * * sun"}})
    assert entry.name == "nightly"


@pytest.mark.parametrize(
    "config",
    [
        [{"name": "x", "task": REMINDERS}],  # no time
        [{"name": "x", "task": REMINDERS, "cron": "15 7 * *"}],  # four fields
        [{"name": "x", "task": REMINDERS, "cron": "15 7 * * 1"}],  # 0 is Monday in APScheduler 3
        [{"name": "x", "task": REMINDERS, "cron": "15 7 * * *", "timezone": "Asia/Nowhere"}],
        [{"task": REMINDERS, "cron": "15 7 * * *"}],  # no name
        [{"name": "x", "task": REMINDERS, "cron": "* * * * *"}] * 2,  # the same name twice
    ],
)
def test_a_wrong_schedule_is_refused(config: list[dict[str, Any]]) -> None:
    with pytest.raises(ImproperlyConfigured):
        schedule_entries(config)


@pytest.mark.parametrize(
    "path", ["socialdesk.cases.tasks.no_such_task", "socialdesk.cases.services.reminders.timezone"]
)
def test_a_path_that_is_not_a_task_is_refused(path: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        task_resolve(path)


def test_the_scheduler_has_one_job_per_entry() -> None:
    entries = schedule_entries()
    scheduler = scheduler_build(entries)
    assert sorted(job.id for job in scheduler.get_jobs()) == sorted(e.name for e in entries)


# Due runs ----------------------------------------------------------------------------------------


def test_a_run_is_due_until_the_catch_up_time_has_passed() -> None:
    entry = _entry()
    slot = datetime(2026, 11, 23, 7, 15, tzinfo=HK)
    assert due_slot(entry, datetime(2026, 11, 23, 7, 14, 59, tzinfo=HK)) is None
    assert due_slot(entry, slot) == slot
    assert due_slot(entry, datetime(2026, 11, 23, 8, 10, tzinfo=HK)) == slot
    assert due_slot(entry, datetime(2026, 11, 23, 8, 16, tzinfo=HK)) is None


@pytest.mark.django_db
def test_a_due_job_enqueues_its_task_for_the_worker(database_tasks: None) -> None:
    entry = _entry()
    run = enqueue_due(entry, now=datetime(2026, 11, 23, 7, 15, 2, tzinfo=HK))

    assert run is not None
    assert run.slot == datetime(2026, 11, 23, 7, 15, tzinfo=HK)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == REMINDERS
    assert queued.status == "READY"
    assert str(queued.pk) == run.task_result_id


@pytest.mark.django_db
def test_a_second_scheduler_does_not_enqueue_the_same_slot_again(database_tasks: None) -> None:
    entry = _entry()
    slot = datetime(2026, 11, 23, 7, 15, tzinfo=HK)

    assert scheduled_run_enqueue(entry=entry, slot=slot) is not None
    assert scheduled_run_enqueue(entry=entry, slot=slot) is None
    # Another scheduler that fires a little late finds the same slot.
    assert enqueue_due(entry, now=datetime(2026, 11, 23, 7, 16, tzinfo=HK)) is None

    assert ScheduledRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_the_next_day_is_a_new_slot(database_tasks: None) -> None:
    entry = _entry()
    enqueue_due(entry, now=datetime(2026, 11, 23, 7, 15, tzinfo=HK))
    enqueue_due(entry, now=datetime(2026, 11, 24, 7, 15, tzinfo=HK))
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
def test_nothing_is_enqueued_when_no_job_is_due(database_tasks: None) -> None:
    assert enqueue_due(_entry(), now=datetime(2026, 11, 23, 12, 0, tzinfo=HK)) is None
    assert not DBTaskResult.objects.exists()


# The command -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_every_job_with_its_task_and_next_run() -> None:
    out = io.StringIO()
    call_command("run_scheduler", "--list", stdout=out)
    text = out.getvalue()
    for entry in schedule_entries():
        assert entry.name in text and entry.task_path in text and entry.cron in text
    assert re.search(r"\d{4}-\d\d-\d\d 07:15 HKT", text)
    assert re.search(r"\d{4}-\d\d-\d\d 03:30 HKT", text)
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_run_enqueues_the_named_job_now(database_tasks: None) -> None:
    call_command("run_scheduler", "--run", "idempotency_keys_expire", stdout=io.StringIO())
    run = ScheduledRun.objects.get()
    assert run.manual and run.job_name == "idempotency_keys_expire"
    assert DBTaskResult.objects.get(pk=run.task_result_id).task_path == EXPIRY


@pytest.mark.django_db
def test_run_of_an_unknown_job_is_refused() -> None:
    with pytest.raises(CommandError, match="case_reminders"):
        call_command("run_scheduler", "--run", "no_such_job", stdout=io.StringIO())
    assert not ScheduledRun.objects.exists()


@pytest.mark.django_db
def test_once_enqueues_what_is_due_and_returns(settings: Any, database_tasks: None) -> None:
    settings.SOCIALDESK_SCHEDULE = [{"name": "always", "task": EXPIRY, "cron": "* * * * *"}]
    call_command("run_scheduler", "--once", stdout=io.StringIO())
    assert ScheduledRun.objects.filter(job_name="always", manual=False).exists()
    assert DBTaskResult.objects.filter(task_path=EXPIRY).exists()


def test_a_misconfigured_schedule_stops_the_command(settings: Any) -> None:
    settings.SOCIALDESK_SCHEDULE = [{"name": "x", "task": "socialdesk.nowhere.task", "hour": 1}]
    with pytest.raises(CommandError):
        call_command("run_scheduler", "--list", stdout=io.StringIO())
