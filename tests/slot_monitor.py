"""Which cluster slots each script, transaction and multi-key command touched, read off MONITOR.

A Redis Cluster runs a script, a transaction or a multi-key command only when every key it
touches hashes to one slot, and a script only when it is sent by a key of that slot (the client
routes it by its first key). A single redis-server checks none of that, and a cluster checks a
script's undeclared keys only when they live on another node; `SlotMonitor` watches a real server
while the service runs and lists every call that would break on a cluster. Only the service's
keys count: RQ's (`rq:...`) and those kept with the queues (archive.keys.QUEUE_SIDE) live on
the plain queue Redis.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import redis
from redis.crc import key_slot

from archive.keys import QUEUE_SIDE, Keys

_LINE = re.compile(rb'^[\d.]+ \[\d+ ([^\]]+)\] (.*)$', re.DOTALL)
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("a"): b"\a", ord("b"): b"\b"}
_NOT_OURS = (b"rq:", b"slot-monitor-end")
_SCRIPTS = {b"EVAL", b"EVALSHA", b"EVAL_RO", b"EVALSHA_RO"}


def monitor_args(text: bytes) -> list[bytes]:
    """The arguments of a MONITOR line's command part (quoted, escaped as sdscatrepr does)."""
    args, at = [], 0
    while at < len(text):
        if text[at] != ord('"'):
            at += 1
            continue
        out, at = bytearray(), at + 1
        while text[at] != ord('"'):
            if text[at] == ord("\\"):
                kind = text[at + 1]
                if kind == ord("x"):
                    out.append(int(text[at + 2 : at + 4], 16))
                    at += 4
                    continue
                out += _ESCAPES.get(kind, bytes((kind,)))
                at += 2
                continue
            out.append(text[at])
            at += 1
        args.append(bytes(out))
        at += 1
    return args


@dataclass
class _Unit:
    """One script call, transaction or command: what it was sent by and every key it touched."""

    label: str
    routed_by: bytes | None
    keys: list[bytes] = field(default_factory=list)

    def problem(self) -> str | None:
        ours = [k for k in self.keys if _on_the_index(k)]
        if not ours:
            return None
        slots = {key_slot(k) for k in ours}
        if self.routed_by is not None:
            slots.add(key_slot(self.routed_by))
        elif self.label.startswith("script"):
            return f"{self.label}: sent with no key of its slot, touches {ours[:3]}"
        if len(slots) > 1:
            return f"{self.label}: {len(slots)} slots, e.g. {sorted(set(ours))[:4]}"
        return None


def _on_the_index(key: bytes) -> bool:
    return not key.startswith(_NOT_OURS) and Keys.kind(key.decode("utf-8", "replace")) not in QUEUE_SIDE


class SlotMonitor:
    """`with SlotMonitor(client) as seen:` ... `seen.problems()` (calls that span slots)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._specs: dict[bytes, tuple[int, int, int, bool]] = {}
        self._units: list[_Unit] = []
        self._open: dict[bytes, _Unit] = {}  # per client: its script or transaction
        self._done = threading.Event()

    def __enter__(self) -> SlotMonitor:
        for name, spec in self.client.command().items():
            flags = {f.decode() if isinstance(f, bytes) else f for f in spec.get("flags", ())}
            movable = "movablekeys" in flags
            positions = (spec["first_key_pos"], spec["last_key_pos"], spec["step_count"])
            self._specs[name.upper().encode()] = (*positions, movable)
        self._monitor = self.client.monitor().__enter__()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.set(b"slot-monitor-end", 1)  # the last line it reads
        self._thread.join(30)
        self._monitor.__exit__()

    def problems(self) -> list[str]:
        found = [u.problem() for u in self._units]
        return sorted({p for p in found if p})

    @property
    def calls(self) -> int:
        return len(self._units)

    def _read(self) -> None:
        while True:
            line = self._monitor.connection.read_response()
            match = _LINE.match(line)
            if not match:
                continue
            who, args = match.group(1), monitor_args(match.group(2))
            if args[:2] == [b"SET", b"slot-monitor-end"]:
                return
            self._take(who, args)

    def _take(self, who: bytes, args: list[bytes]) -> None:
        name = args[0].upper()
        if who.endswith(b"lua"):
            self._last_script().keys += self._keys(name, args)
            return
        unit = self._open.get(who)
        if name == b"MULTI":
            self._open[who] = _Unit("transaction", None)
        elif name in (b"EXEC", b"DISCARD") and unit:
            self._units.append(self._open.pop(who))
        elif unit is not None and unit.label == "transaction":
            unit.keys += self._keys(name, args)
        elif name in _SCRIPTS:
            declared = args[3 : 3 + int(args[2])]
            script = _Unit(f"script {args[1][:40]!r}", declared[0] if declared else None, list(declared))
            self._units.append(script)
            self._open[b"lua"] = script
        else:
            keys = self._keys(name, args)
            if len(keys) > 1:
                self._units.append(_Unit(f"command {name.decode()}", None, keys))

    def _last_script(self) -> _Unit:
        return self._open[b"lua"]

    def _keys(self, name: bytes, args: list[bytes]) -> list[bytes]:
        first, last, step, movable = self._specs.get(name, (0, 0, 0, False))
        if movable:
            found = self.client.execute_command("COMMAND", "GETKEYS", *args)
            return [k if isinstance(k, bytes) else k.encode() for k in found]
        if first == 0:
            return []
        end = len(args) + last + 1 if last < 0 else last + 1
        return args[first:end:step]
