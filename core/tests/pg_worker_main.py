"""A worker process for the PostgreSQL multi-process tests and the queue benchmark.

    python pg_worker_main.py DB_URL LOG_FILE --rate 20 --concurrency 4 [--lease 30] [--slow 5]

The runtime's own test worker (`runtime_worker_main.main`) under a name of its own, with
logging at WARNING: the per-call log lines would otherwise cost more than the jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from runtime_worker_main import main

from fusionhub.jobs.worker import DEFAULT_LEASE_SECONDS
from fusionhub.observability import configure_logging

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("log")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--lease", type=float, default=DEFAULT_LEASE_SECONDS)
    parser.add_argument("--slow", type=float, default=0.0)
    configure_logging("json", level="WARNING", stream=sys.stderr)
    asyncio.run(main(parser.parse_args()))
