"""Model-based test (issue 17): random sequences of add / change / delete / re-import / reindex,
one or two workers at a time, against the real Redis store; after every step its clusters
(members, sizes, representatives), its export and each document's sources equal what the pure
engine works out from the documents present (tests.model_oracle). Bounded here, with a fixed
seed; `bench/model.py --examples N` runs the longer profile."""

from __future__ import annotations

from tests import model_machine
from workers.redis.redis_server import ServerInfo

EXAMPLES = 30


def test_the_store_agrees_with_the_model_after_every_step(redis_server: ServerInfo) -> None:
    model_machine.run(redis_server.tcp_url, EXAMPLES)
