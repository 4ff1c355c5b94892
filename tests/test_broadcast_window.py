"""A room that keeps sending waits longer between its states; a quiet one does not."""

import live

QUIET = 0.002


def sends(times):
    pending = live._Broadcast()
    for moment in times:
        pending.sent(moment)
    return pending


def test_a_quiet_room_keeps_the_short_window():
    pending = sends([10.0, 10.5, 11.0, 11.01])

    assert pending.window(QUIET) == QUIET


def test_a_room_sending_nonstop_waits_the_busy_window():
    pending = sends([10.0, 10.01, 10.02, 10.03])

    assert pending.window(QUIET) == live.BUSY_WINDOW


def test_the_busy_window_holds_while_sends_come_every_busy_window():
    pending = sends([10.0, 10.01, 10.02, 10.03, 10.05, 10.07, 10.09])

    assert pending.window(QUIET) == live.BUSY_WINDOW


def test_a_pause_makes_a_busy_room_quiet_again():
    pending = sends([10.0, 10.01, 10.02, 10.03, 10.5])

    assert pending.window(QUIET) == QUIET


def test_a_longer_configured_window_stays():
    pending = sends([10.0, 10.01, 10.02, 10.03])

    assert pending.window(0.1) == 0.1
