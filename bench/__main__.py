"""Run every benchmark module and print one table: `python -m bench [--quick] [module ...]`."""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from datetime import UTC, datetime

from bench import Row

# Plugin helpers add their modules here (each exposes `rows(quick: bool) -> list[Row]`).
MODULES = [
    "bench.overhead",
    "bench.startup",
    "bench.buckets",
    "bench.queue_throughput",
    "bench.queue_line",
    "bench.queue_peers",
    "bench.scale_etsy",
    "bench.shopify_listing",
    "bench.etsy_bulk",
    "bench.amazon_feed",
]


def _table(rows: list[Row]) -> str:
    header = ("scenario", "baseline", "ours", "ratio", "unit", "note")
    lines = [(r.scenario, f"{r.baseline:,.2f}", f"{r.ours:,.2f}", f"{r.ratio:.3f}", r.unit, r.note) for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=True)]
    fmt = " | ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), "-+-".join("-" * w for w in widths)]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run)")
    parser.add_argument("modules", nargs="*", help="module names (default: all)")
    args = parser.parse_args(argv)
    chosen = [m for m in MODULES if not args.modules or m.rsplit(".", 1)[-1] in args.modules]
    rows: list[Row] = []
    for name in chosen:
        module = importlib.import_module(name)
        rows.extend(module.rows(args.quick))
    print(_table(rows))
    machine = f"{platform.machine()} {platform.processor() or ''} Python {sys.version.split()[0]}".strip()
    print(f"\n{machine}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
