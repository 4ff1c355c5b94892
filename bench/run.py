"""Load benchmark: N participants in rooms of K vote for R rounds against a server.

    .venv/bin/python bench/run.py --participants 1000 --room-size 10 --spread 5
    .venv/bin/python bench/run.py --participants 2000 --room-size 40 --burst

See bench/README.md for what each figure means. Everything runs on
127.0.0.1, every process it starts is stopped by its own id, and the whole
run ends by itself within --timeout seconds.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.dirname(BENCH)
sys.path.insert(0, PROJECT)

import conductor  # noqa: E402
import report  # noqa: E402
import targets  # noqa: E402

RESULTS = os.path.join(BENCH, "results")
SERVER_CHOICES = {
    "python": ("python",),
    "python-2": ("python-2",),
    "node": ("node",),
    "both": ("python", "node"),
    "scale": ("python", "python-2"),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--room-size", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--spread", type=float, default=5.0, help="seconds over which votes spread"
    )
    parser.add_argument(
        "--burst", action="store_true", help="everyone votes at the same instant"
    )
    parser.add_argument(
        "--server",
        choices=tuple(SERVER_CHOICES),
        default="python",
        help="python: one process on SQLite; python-2: two on PostgreSQL and"
        " Redis behind HAProxy; node: the baseline; both: python and node;"
        " scale: python and python-2",
    )
    parser.add_argument(
        "--async-mode", choices=("eventlet", "gevent"), default="eventlet"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per server")
    parser.add_argument("--generators", type=int, default=2, help="client processes")
    parser.add_argument(
        "--connect-concurrency",
        type=int,
        default=50,
        help="connections each generator opens at the same time",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        help="seconds a room waits for its members to see a change",
    )
    parser.add_argument(
        "--ack-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for an ack before counting it as an error",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="before each run, wait up to this many seconds for the rest of"
        " the machine to go quiet (a shared machine disturbs the figures)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="hard limit for the whole run"
    )
    parser.add_argument("--json", help="result file (default: bench/results/)")
    parser.add_argument(
        "--profile",
        help="py-spy the python server during the rounds of its first run into"
        " this file (.svg: flame graph, else raw stacks for bench/hotspots.py)",
    )
    parser.add_argument(
        "--profile-idle",
        action="store_true",
        help="profile wall-clock time: include samples where the server waits",
    )
    args = parser.parse_args(argv)
    if args.room_size < 2 or args.participants < args.room_size:
        parser.error("need --room-size >= 2 and --participants >= --room-size")
    if args.participants > 10000:
        parser.error("--participants is capped at 10000")
    return args


def raise_open_file_limit(wanted):
    """Lift the soft open-file limit; the servers and generators inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def wait_for_quiet_machine(patience, deadline, busy_limit=0.3, window=3.0):
    """Wait until other programs use under `busy_limit` cores, at most `patience` s."""
    give_up = min(time.monotonic() + patience, deadline - 60)
    while time.monotonic() < give_up:
        before = targets.machine_busy_seconds()
        time.sleep(window)
        busy = (targets.machine_busy_seconds() - before) / window
        if busy < busy_limit:
            return
    if patience > 0:
        print("  the machine did not go quiet; running anyway", file=sys.stderr)


def run_once(kind, args, deadline, profile_path=None):
    """Start the server `kind`, load it, stop it; return the run's summary."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as workdir:
        server = targets.start_server(kind, workdir, args.async_mode)
        try:
            results, sampler = conductor.drive_generators(
                args, server, deadline, profile_path
            )
        finally:
            server.stop()
        return report.summarize_run(
            results,
            sampler.marks,
            sampler.peak_rss,
            sampler.peak_cpu_pct,
            args.participants,
        )


def git_describe():
    """Name the code under test: the commit, and whether the work tree differs."""
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except OSError:
        return None
    return found.stdout.strip() or None


def describe(args):
    return {
        "participants": args.participants,
        "room_size": args.room_size,
        "rooms": args.participants // args.room_size,
        "rounds": args.rounds,
        "spread_s": 0 if args.burst else args.spread,
        "burst": args.burst,
        "async_mode": args.async_mode,
        "generators": args.generators,
        "repeat": args.repeat,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "commit": git_describe(),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def stop_on_sigterm():
    """Let SIGTERM unwind like Ctrl-C, so every server started is stopped."""

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def main(argv=None):
    args = parse_args(argv)
    stop_on_sigterm()
    raise_open_file_limit(2 * args.participants + 1024)
    kinds = SERVER_CHOICES[args.server]
    deadline = time.monotonic() + args.timeout
    config = describe(args)

    runs = {kind: [] for kind in kinds}
    try:
        for repeat in range(1, args.repeat + 1):
            for kind in kinds:
                print(f"run {repeat}/{args.repeat}: {kind} server", file=sys.stderr)
                wait_for_quiet_machine(args.settle, deadline)
                profiled = kind == next(k for k in kinds if k.startswith("python"))
                profile = args.profile if profiled and repeat == 1 else None
                runs[kind].append(run_once(kind, args, deadline, profile))
    except conductor.BenchTimeout as problem:
        sys.exit(f"stopped after --timeout {args.timeout:g} s: {problem}")
    summaries = {kind: report.combine(found) for kind, found in runs.items()}

    shape = "burst" if args.burst else f"spread over {args.spread:g} s"
    print(
        f"\n{args.participants} participants, rooms of {args.room_size},"
        f" {args.rounds} rounds, votes {shape}"
        + (f", median of {args.repeat} runs" if args.repeat > 1 else "")
    )
    print(report.table(summaries))
    for note in report.generator_warnings(summaries):
        print(note)

    document = {"config": config, "summary": summaries, "runs": runs}
    for ours, base in report.compared(summaries):
        document[f"ratios_{ours}_to_{base}"] = report.ratios(
            summaries[ours], summaries[base]
        )
    path = args.json or os.path.join(
        RESULTS, datetime.datetime.now().strftime("%Y%m%d-%H%M%S") + ".json"
    )
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out, indent=2)
    print(f"\nresults written to {path}")


if __name__ == "__main__":
    main()
