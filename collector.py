"""Python's cyclic garbage collector, tuned for a server with many connections.

Each open connection keeps thousands of long-lived objects. A full (gen-2)
collection walks all of them and stops every green thread meanwhile: 70 to
150 ms with 1,000 connections, the whole tail of the vote latency. So the
objects that survive a full collection are frozen out of later ones, which
then only walk what is new. Frozen objects are still freed by reference
counting; cycles among them that die later are kept, so every SWEEP_SECONDS
everything is unfrozen and collected once, in one pause.
"""

import gc
import logging
import time

log = logging.getLogger(__name__)

SWEEP_SECONDS = 15 * 60


def start(socketio):
    """Freeze what full collections leave; sweep every SWEEP_SECONDS in a task."""
    gc.callbacks.append(_freeze_survivors)

    def sweep_now_and_then():
        while True:
            socketio.sleep(SWEEP_SECONDS)
            log.debug("full garbage collection took %.0f ms", sweep() * 1000)

    socketio.start_background_task(sweep_now_and_then)


def _freeze_survivors(phase, info):
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


def sweep():
    """Collect everything once, frozen objects included, then freeze the rest.

    Returns the pause in seconds.
    """
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started
