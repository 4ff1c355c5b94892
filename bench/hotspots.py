"""Summarise a py-spy raw profile: the functions that hold the CPU, in percent.

    .venv/bin/python bench/hotspots.py /tmp/profile.txt [--top 25]

"self" counts the samples in which the function itself was running;
"total" counts those in which it was anywhere on the stack.
"""

import argparse
import collections
import re

# py-spy writes a frame as "function (path:line)"; line numbers are dropped
# so that one function sums up over all its lines.
FRAME = re.compile(r"^(?P<name>.*?) \((?P<path>[^:()]*)(?::\d+)?\)$")


def read_stacks(path):
    """Yield (frames, samples) from a collapsed-stack file, outermost frame first."""
    with open(path, encoding="utf-8", errors="replace") as stacks:
        for line in stacks:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, count = line.rpartition(" ")
            yield [short(frame) for frame in stack.split(";")], int(count)


def short(frame):
    found = FRAME.match(frame)
    if found is None:
        return frame
    path = found["path"].split("site-packages/")[-1]
    return f"{found['name']} ({path})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("profile", help="a py-spy --format raw file")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    own = collections.Counter()
    anywhere = collections.Counter()
    total = 0
    for frames, samples in read_stacks(args.profile):
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            anywhere[frame] += samples

    print(f"{total} samples")
    for title, counter in (("self", own), ("total", anywhere)):
        print(f"\ntop {args.top} by {title} time")
        for frame, samples in counter.most_common(args.top):
            print(f"  {100 * samples / total:5.1f} %  {frame}")


if __name__ == "__main__":
    main()
