"""A client that keeps failing to sign in waits; other clients and the account do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trust.staff import SignInThrottle

NOW = datetime(2026, 3, 4, 10, tzinfo=UTC)


def throttle() -> SignInThrottle:
    return SignInThrottle(3, timedelta(minutes=5))


def test_a_client_may_fail_a_few_times_before_it_must_wait() -> None:
    t = throttle()
    for i in range(2):
        t.failed("10.0.0.1", NOW + timedelta(seconds=i))
    assert t.wait("10.0.0.1", NOW + timedelta(seconds=3)) == timedelta(0)
    t.failed("10.0.0.1", NOW + timedelta(seconds=3))
    assert t.wait("10.0.0.1", NOW + timedelta(seconds=4)) == timedelta(minutes=5, seconds=-4)


def test_another_client_is_not_slowed_down_by_the_first() -> None:
    t = throttle()
    for _ in range(3):
        t.failed("10.0.0.1", NOW)
    assert t.wait("10.0.0.2", NOW) == timedelta(0)


def test_failures_older_than_the_window_are_forgotten() -> None:
    t = throttle()
    for _ in range(3):
        t.failed("10.0.0.1", NOW)
    assert t.wait("10.0.0.1", NOW + timedelta(minutes=5, seconds=1)) == timedelta(0)


def test_a_success_clears_the_client() -> None:
    t = throttle()
    for _ in range(3):
        t.failed("10.0.0.1", NOW)
    t.succeeded("10.0.0.1")
    assert t.wait("10.0.0.1", NOW) == timedelta(0)
