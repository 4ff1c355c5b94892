"""The garbage collector's tuning, in a process of its own: freezing is global."""

import subprocess
import sys
import textwrap

from tests.servers import PROJECT

SCRIPT = textwrap.dedent(
    """
    import gc
    import weakref

    import collector


    class Ring:
        def __init__(self):
            self.me = self


    class Tasks:
        started = []

        def start_background_task(self, target):
            self.started.append(target)


    collector.start(Tasks())
    ring = Ring()
    alive = weakref.ref(ring)
    gc.collect()
    print("frozen after a full collection:", gc.get_freeze_count() > 0)
    del ring
    gc.collect()
    print("a frozen ring outlives collections:", alive() is not None)
    collector.sweep()
    print("the sweep frees it:", alive() is None)
    print("sweeps in the background:", len(Tasks.started))
    """
)


def test_full_collections_freeze_survivors_and_the_sweep_frees_frozen_cycles():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "frozen after a full collection: True",
        "a frozen ring outlives collections: True",
        "the sweep frees it: True",
        "sweeps in the background: 1",
    ]
