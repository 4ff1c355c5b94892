"""Step the generator processes through a run against one started server.

The parent creates the rooms, deals them out whole to the generators, and
starts every round at the same wall-clock instant in all of them.
"""

import multiprocessing
import time

import generator
import requests
import targets

ROUND_START_DELAY = 0.3


class BenchTimeout(RuntimeError):
    """The run passed its overall time limit."""


def create_rooms(url, count):
    """Create `count` rooms through the public API and return their codes."""
    with requests.Session() as http:
        codes = []
        for number in range(count):
            answer = http.post(
                f"{url}/api/rooms",
                json={"name": f"Bench {number + 1}", "deck": "fibonacci"},
                timeout=10,
            )
            answer.raise_for_status()
            codes.append(answer.json()["code"])
    return codes


def plans_for(args, url, codes, deadline):
    """Deal the rooms out to the generator processes, whole rooms each."""
    remaining = deadline - time.monotonic()
    return [
        {
            "url": url,
            "rooms": codes[index :: args.generators],
            "room_size": args.room_size,
            "spread": args.spread,
            "burst": args.burst,
            "wait": args.wait,
            "ack_timeout": args.ack_timeout,
            "connect_concurrency": args.connect_concurrency,
            "seed": index,
            "timeout": max(1.0, remaining - 5),
        }
        for index in range(args.generators)
        if codes[index :: args.generators]
    ]


def receive(conn, expected, deadline):
    """Wait for the message `expected` from one generator, within the deadline."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not conn.poll(remaining):
            raise BenchTimeout(f"no {expected!r} from a generator in time")
        message = conn.recv()
        if message[0] == expected:
            return message
        if message[0] == "result":
            raise BenchTimeout(f"a generator stopped: {message[1]['errors']}")


def drive_generators(args, server, deadline, profile_path=None):
    """Run the generators against a started server; return their raw results.

    Also returns the server's `Sampler`; each result carries its
    generator's busiest second during the rounds as `cpu.peak_pct`.
    """
    profiler = targets.Profiler(server.process.pid, profile_path, args.profile_idle)
    sampler = targets.Sampler(targets.pids_of(server))
    sampler.start()
    context = multiprocessing.get_context("spawn")
    workers = []
    try:
        codes = create_rooms(server.url, args.participants // args.room_size)
        sampler.mark("start")
        for plan in plans_for(args, server.url, codes, deadline):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=generator.main, args=(child_end, plan), daemon=True
            )
            process.start()
            watcher = targets.Sampler([process.pid])
            watcher.start()
            workers.append((process, parent_end, watcher))

        for _, conn, _ in workers:
            receive(conn, "ready", deadline)
        sampler.mark("rounds")
        machine_start = targets.machine_busy_seconds()
        for watching in (sampler, *(watcher for _, _, watcher in workers)):
            watching.restart_peak()
        profiler.start()
        for number in range(1, args.rounds + 1):
            start_wall = time.time() + ROUND_START_DELAY
            for _, conn, _ in workers:
                conn.send(("round", number, start_wall))
            for _, conn, _ in workers:
                receive(conn, "round_done", deadline)
        sampler.mark("end")
        machine_busy = targets.machine_busy_seconds() - machine_start
        profiler.stop()

        peaks = [watcher.peak_cpu_pct for _, _, watcher in workers]
        for _, conn, _ in workers:
            conn.send(("finish",))
        results = [receive(conn, "result", deadline)[1] for _, conn, _ in workers]
        for result, peak in zip(results, peaks, strict=True):
            result["cpu"]["peak_pct"] = peak
        sampler.marks["end"]["machine_busy_s"] = machine_busy
        for process, _, _ in workers:
            process.join(10)
        return results, sampler
    finally:
        for process, _, watcher in workers:
            watcher.stop()
            if process.is_alive():
                process.kill()
                process.join(5)
        profiler.stop()
        sampler.stop()
