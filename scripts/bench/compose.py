#!/usr/bin/env python3
"""Auto-compose on a large catalog: how long one proposal takes.

    .venv/bin/python scripts/bench/compose.py [--items 2000 10000 50000]
    .venv/bin/python scripts/bench/compose.py --smoke     # a second, for the test

Prints figures only.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from catalog.planning.compose import Candidate, Request, compose

THEMES = ["politics", "party", "policy", "technology", "culture"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, nargs="+", default=[2000, 10000, 50000])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test)")
    args = parser.parse_args()
    if args.smoke:
        args.items = [200]
    rng = random.Random(3)
    for count in args.items:
        pool = [Candidate(n, rng.choice(THEMES), rng.uniform(60, 3600), rng.random() < 0.2)
                for n in range(1, count + 1)]
        request = Request(210 * 60.0, {t: 1 for t in THEMES}, [1, 2, 3])
        start = time.perf_counter()
        proposal = compose(pool, request)
        took = time.perf_counter() - start
        print(f"{count:>6} candidates: {took * 1000:7.0f} ms, {len(proposal.choices)} items, "
              f"{proposal.seconds / 60:.1f} of {request.target_seconds / 60:.0f} min")


if __name__ == "__main__":
    main()
