"""Turn raw measurements into figures: percentiles, a table and ratios."""

import collections
import math
import statistics

LATENCIES = (
    ("connect", "connect"),
    ("join_ack", "join ack"),
    ("vote_ack", "vote ack"),
    ("vote_seen", "vote -> whole room saw it"),
    ("reveal_seen", "reveal -> whole room has it"),
)
PERCENTILES = (50, 95, 99)
# Counts that must not hide in a median: repeats add them up.
FAILURES = (
    "errors",
    "disconnects",
    "votes_unseen",
    "reveals_unseen",
    "new_round_unseen",
    "joins_unsettled",
)
MB = 1024 * 1024


def percentiles(values):
    """Return p50, p95, p99 and max of `values` (seconds) in milliseconds."""
    if not values:
        return None
    ordered = sorted(values)
    figures = {
        f"p{p}": ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000
        for p in PERCENTILES
    }
    figures["max"] = ordered[-1] * 1000
    figures["n"] = len(ordered)
    return figures


def summarize_run(generator_results, marks, peak_rss, peak_cpu_pct, participants):
    """Reduce one server run (all generator processes) to its figures."""
    samples = collections.defaultdict(list)
    errors = collections.Counter()
    counts = collections.Counter()
    for result in generator_results:
        for key, values in result["samples"].items():
            samples[key].extend(values)
        errors.update(result["errors"])
        counts.update(result["counts"])

    rounds_wall = marks["end"]["at"] - marks["rounds"]["at"]
    generators = [
        {
            "cpu_s": round(r["cpu"].get("total_s", 0), 2),
            "cpu_rounds_s": round(r["cpu"].get("rounds_s", 0), 2),
            "busy_in_rounds_pct": round(
                100 * r["cpu"].get("rounds_s", 0) / max(rounds_wall, 1e-9), 1
            ),
            "peak_cpu_pct": round(r["cpu"].get("peak_pct", 0), 1),
        }
        for r in generator_results
    ]
    votes = max(counts["votes_cast"], 1)
    server_rounds = marks["end"]["cpu_s"] - marks["rounds"]["cpu_s"]
    ours = server_rounds + sum(r["cpu"].get("rounds_s", 0) for r in generator_results)
    return {
        "latency_ms": {key: percentiles(samples[key]) for key, _ in LATENCIES},
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "disconnects": counts["disconnects"],
        "participants": counts["participants"],
        "participants_asked": participants,
        "votes_cast": counts["votes_cast"],
        "votes_unseen": counts["votes_unseen"],
        "reveals": counts["reveals"],
        "reveals_unseen": counts["reveals_unseen"],
        "new_round_unseen": counts["new_round_unseen"],
        "joins_unsettled": counts["joins_unsettled"],
        "stale_states": counts["stale_states"],
        "server": {
            "cpu_s": marks["end"]["cpu_s"] - marks["start"]["cpu_s"],
            "cpu_rounds_s": server_rounds,
            "rss_idle_mb": marks["start"]["rss"] / MB,
            "rss_joined_mb": marks["rounds"]["rss"] / MB,
            "rss_peak_mb": peak_rss / MB,
            "peak_cpu_pct": peak_cpu_pct,
        },
        "clients": {
            "messages": counts["messages"],
            "bytes": counts["bytes"],
            "messages_rounds": counts["messages_rounds"],
            "bytes_rounds": counts["bytes_rounds"],
            "messages_per_vote": counts["messages_rounds"] / votes,
            "bytes_per_vote": counts["bytes_rounds"] / votes,
        },
        # CPU that other programs on the machine took while the rounds ran:
        # more than a little means the figures are disturbed.
        "other_cpu_rounds_s": max(0.0, marks["end"]["machine_busy_s"] - ours),
        "durations_s": {
            "connect": marks["rounds"]["at"] - marks["start"]["at"],
            "rounds": rounds_wall,
        },
        "generators": generators,
    }


def combine(runs):
    """Merge repeats: the median of every figure, the sum of every failure count."""
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    merged = {}
    for key, value in first.items():
        values = [run[key] for run in runs]
        if key in FAILURES:
            merged[key] = sum(values)
        elif key == "error_kinds":
            total = collections.Counter()
            for kinds in values:
                total.update(kinds)
            merged[key] = dict(total)
        elif key == "generators":
            merged[key] = [combine(list(per)) for per in zip(*values, strict=True)]
        elif isinstance(value, dict):
            merged[key] = combine(values)
        elif value is None or any(v is None for v in values):
            merged[key] = None
        else:
            merged[key] = statistics.median(values)
    return merged


def rows(summary):
    """Yield (label, value) for the table, in reading order."""
    for key, label in LATENCIES:
        figures = summary["latency_ms"][key]
        for name in ("p50", "p95", "p99", "max"):
            yield f"{label} {name} ms", figures and figures[name]
    yield "participants joined", summary["participants"]
    yield "errors (error acks, timeouts)", summary["errors"]
    yield "disconnects", summary["disconnects"]
    yield "votes not seen by everyone", summary["votes_unseen"]
    yield "reveals not seen by everyone", summary["reveals_unseen"]
    server = summary["server"]
    yield "server CPU s (whole run)", server["cpu_s"]
    yield "server CPU s (rounds)", server["cpu_rounds_s"]
    yield "server busiest second, % of a core", server["peak_cpu_pct"]
    yield "server RSS after join MB", server["rss_joined_mb"]
    yield "server RSS peak MB", server["rss_peak_mb"]
    clients = summary["clients"]
    yield "messages to clients (rounds)", clients["messages_rounds"]
    yield "bytes to clients (rounds) MB", clients["bytes_rounds"] / MB
    yield "messages per vote", clients["messages_per_vote"]
    yield "bytes per vote KB", clients["bytes_per_vote"] / 1024
    yield "other programs' CPU s (rounds)", summary["other_cpu_rounds_s"]
    yield "connect phase s", summary["durations_s"]["connect"]
    yield "rounds phase s", summary["durations_s"]["rounds"]
    for number, generator in enumerate(summary["generators"], start=1):
        yield f"generator {number} CPU s (rounds)", generator["cpu_rounds_s"]
        yield f"generator {number} busy % (rounds)", generator["busy_in_rounds_pct"]
        yield f"generator {number} busiest second %", generator["peak_cpu_pct"]


def ratio(ours, baseline):
    if ours is None or baseline is None:
        return None
    if baseline == 0:
        return None if ours else 1.0
    return ours / baseline


def ratios(ours, baseline):
    """Our figures divided by the baseline's, by table label (below 1: we do better)."""
    base = {label: value for label, value in rows(baseline)}
    return {label: ratio(value, base.get(label)) for label, value in rows(ours)}


def render_value(value):
    if value is None:
        return "-"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 100:
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return f"{value:,}"


# Pairs whose quotient the table shows when both ran: (ours, baseline).
COMPARED = (("python", "node"), ("python-2", "python"))


def compared(summaries):
    """Return the (ours, baseline) pairs of COMPARED that ran."""
    return [pair for pair in COMPARED if all(name in summaries for name in pair)]


def table(summaries):
    """Return the figures of each server side by side, with their ratios."""
    names = list(summaries)
    pairs = compared(summaries)
    columns = [*names, *(f"{ours}/{base}" for ours, base in pairs)]
    quotients = [ratios(summaries[ours], summaries[base]) for ours, base in pairs]

    lines = []
    labels = [label for label, _ in rows(summaries[names[0]])]
    values = {name: {lb: v for lb, v in rows(summaries[name])} for name in names}
    width = max(len(label) for label in labels) + 2
    lines.append("".join([" " * width, *(f"{c:>14}" for c in columns)]))
    for label in labels:
        cells = [render_value(values[name].get(label)) for name in names]
        for found in quotients:
            quotient = found.get(label)
            cells.append("-" if quotient is None else f"{quotient:.2f}x")
        lines.append("".join([label.ljust(width), *(f"{c:>14}" for c in cells)]))
    return "\n".join(lines)


def generator_warnings(summaries):
    """Name the runs whose generator was busy enough to cap what it measured."""
    notes = []
    for name, summary in summaries.items():
        for number, gen in enumerate(summary["generators"], start=1):
            if gen["busy_in_rounds_pct"] > 60 or gen["peak_cpu_pct"] > 90:
                notes.append(
                    f"note: {name}: generator {number} was busy"
                    f" {gen['busy_in_rounds_pct']:.0f} % of the rounds (busiest"
                    f" second {gen['peak_cpu_pct']:.0f} %); its latencies include"
                    " the generator's own queueing"
                )
    return notes
