"""The model-based test's longer profile: random sequences of add / change / delete / re-import /
reindex (one or two ingestors at once) against a real redis-server started here, each step
checked against the in-memory oracle (tests/model_machine.py, tests/model_oracle.py). The suite
runs tests.test_model.EXAMPLES sequences; the default here is ten times as many.

    python bench/model.py [--examples N] [--steps N] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.cli import parser, report  # noqa: E402
from tests import model_machine  # noqa: E402
from tests.test_model import EXAMPLES  # noqa: E402
from workers.redis.redis_server import RedisServer, stop_process  # noqa: E402


def main() -> None:
    args = _arguments()
    examples = EXAMPLES if args.quick else args.examples
    with tempfile.TemporaryDirectory() as scratch:
        server = RedisServer(Path(scratch)).start()
        started = time.perf_counter()
        try:
            model_machine.run(server.tcp_url, examples, args.steps)
        finally:
            stop_process(server.pid)
        seconds = time.perf_counter() - started
    figures = {"examples": examples, "max_steps": args.steps, "suite_examples": EXAMPLES}
    report({**figures, "passed": True, "seconds": round(seconds, 1)}, args.json)


def _arguments() -> argparse.Namespace:
    made = parser(__doc__, f"the suite's {EXAMPLES} sequences only")
    made.add_argument("--examples", type=int, default=10 * EXAMPLES, help="how many sequences")
    made.add_argument("--steps", type=int, default=12, help="operations per sequence at most")
    return made.parse_args()


if __name__ == "__main__":
    main()
