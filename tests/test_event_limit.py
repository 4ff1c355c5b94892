"""The per-connection limit on Socket.IO events, on a clock the test sets."""

from event_limit import EventLimit


def make_limit(now):
    return EventLimit(events=3, seconds=1.0, clock=lambda: now[0])


def test_the_fourth_event_within_a_second_is_refused():
    now = [100.0]
    limit = make_limit(now)

    answers = [limit.allow("a") for _ in range(4)]

    assert answers == [True, True, True, False]


def test_an_event_is_allowed_again_once_the_oldest_is_a_second_old():
    now = [100.0]
    limit = make_limit(now)
    for offset in (0.0, 0.4, 0.8):
        now[0] = 100.0 + offset
        limit.allow("a")

    now[0] = 100.99
    refused = limit.allow("a")
    now[0] = 101.0
    allowed = limit.allow("a")

    assert (refused, allowed) == (False, True)


def test_connections_have_windows_of_their_own_and_forget_drops_one():
    now = [100.0]
    limit = make_limit(now)
    for _ in range(3):
        limit.allow("a")

    other = limit.allow("b")
    limit.forget("a")

    assert other is True
    assert limit.allow("a") is True
    assert set(limit.recent) == {"a", "b"}
