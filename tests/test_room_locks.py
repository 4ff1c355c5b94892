"""The per-room locks that put one process's changes to a room in order."""

import threading

import live


def test_a_room_has_one_lock_while_it_is_in_use_and_none_after():
    lock = live.room_lock("LOCKED")
    assert live.room_lock("LOCKED") is lock
    assert live.room_lock("OTHERS") is not lock

    del lock

    assert "LOCKED" not in live._room_locks


def test_threads_asking_at_once_get_the_same_lock():
    codes = [f"R{number:05}" for number in range(2000)]
    start = threading.Barrier(8)
    seen = [[] for _ in range(8)]

    def ask(mine):
        start.wait()
        mine.extend(live.room_lock(code) for code in codes)

    threads = [threading.Thread(target=ask, args=(mine,)) for mine in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for number in range(len(codes)):
        assert len({id(mine[number]) for mine in seen}) == 1, codes[number]
