"""Data products and the ledger that follows each one to its end: delivered, on board, or dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

DELIVERED, ON_BOARD, DROPPED, IN_TRANSIT = "delivered", "on_board", "dropped", "in_transit"
DROP_REASONS = ("storage_full", "power", "failure")
HOP_KINDS = ("uplink", "isl", "relay_up", "feeder", "downlink")
"""The hops a product makes: terminal to satellite, satellite to satellite, satellite to relay, relay to station,
satellite to station."""
HOP_EVENTS = {"uplink": "collect", "isl": "isl", "relay_up": "relay_up", "feeder": "feeder", "downlink": "downlink"}
"""Event name of each kind of hop's row; a hop that ends in a delivery is the "deliver" row itself."""
EVENT_COLUMNS = ["t_s", "node", "event", "detail", "product", "hop", "src", "dst", "sent_s", "received_s", "range_km"]
"""Columns of the events table. ``product`` is the product's id (-1 for events of no product). Every hop is one row
whose ``hop`` is its kind (``HOP_KINDS``): the "collect", "isl" and "relay_up" events, and the "deliver" events
(their ``hop`` "downlink" or "feeder"). Hop rows also have ``src``, ``dst``, ``sent_s`` (the transmission starts),
``received_s`` (its last bit lands: ``t_s``) and ``range_km`` (the range at ``sent_s``); other rows have "" and NaN
there."""

_NAN = float("nan")


@dataclass
class Product:
    """An image or a message: who made it, when, how big, and where it is now."""

    id: int
    kind: str
    source: str
    created_s: float
    size_bits: float
    priority: int
    satellite: str
    holder: str
    state: str = ON_BOARD
    reason: str = ""
    delivered_s: float = float("nan")
    station: str = ""
    path: list[str] = field(default_factory=list)
    max_elevation_deg: float = 0.0
    hop_row: int = -1
    """Index in ``Ledger.events`` of the product's last hop, -1 before it moves."""


class Ledger:
    """Every product and every event of a run, in the order they happened."""

    def __init__(self):
        self.products: list[Product] = []
        self.events: list[tuple] = []

    def new(self, kind, source, created_s, size_bits, priority, satellite, holder) -> Product:
        p = Product(len(self.products), kind, source, created_s, size_bits, priority, satellite, holder,
                    path=[satellite])
        self.products.append(p)
        return p

    def log(self, t: float, node: str, event: str, detail: str = "", product: int = -1) -> None:
        self.events.append((t, node, event, detail, product, "", "", "", _NAN, _NAN, _NAN))

    def hop(self, p: Product, kind: str, src: str, dst: str, sent_s: float, received_s: float,
            range_km: float) -> None:
        """Log ``p`` crossing from ``src`` to ``dst`` (a ``HOP_KINDS`` hop), at its arrival.

        As the event names and details were before hops had their own columns, ``node`` is the receiving satellite of
        a terminal's uplink ("collect", detail '<kind> <id> from <terminal>') and the sender of every other hop (detail
        '<kind> <id> to <dst>'). A delivery right after the hop (``deliver``) turns this row into its "deliver" row.
        """
        if kind == "uplink":
            node, detail = dst, f"{p.kind} {p.id} from {src}"
        else:
            node, detail = src, f"{p.kind} {p.id} to {dst}"
        p.hop_row = len(self.events)
        self.events.append((received_s, node, HOP_EVENTS[kind], detail, p.id, kind, src, dst, sent_s, received_s,
                            range_km))

    def drop(self, p: Product, t: float, reason: str) -> None:
        p.state, p.reason = DROPPED, reason
        self.log(t, p.holder, "drop", f"{p.kind} {p.id}: {reason}", p.id)

    def deliver(self, p: Product, t: float, station: str) -> None:
        """Mark ``p`` delivered to ``station`` at ``t``; the hop that just brought it there is its "deliver" row."""
        p.state, p.delivered_s, p.station = DELIVERED, t, station
        p.path.append(station)
        node, event, detail = station, "deliver", f"{p.kind} {p.id} from {p.satellite}"
        last = self.events[p.hop_row] if p.hop_row >= 0 else None
        if last is not None and last[7] == station and last[0] == t:
            self.events[p.hop_row] = (t, node, event, detail) + last[4:]
        else:
            self.log(t, node, event, detail, p.id)

    def products_table(self):
        import pandas as pd

        rows = [
            {
                "product": p.id, "kind": p.kind, "source": p.source, "satellite": p.satellite,
                "created_s": p.created_s, "size_bits": p.size_bits, "priority": p.priority,
                "state": ON_BOARD if p.state == IN_TRANSIT else p.state, "reason": p.reason,
                "holder": "" if p.state == DELIVERED else p.holder, "delivered_s": p.delivered_s,
                "station": p.station, "latency_s": p.delivered_s - p.created_s, "path": " > ".join(p.path),
            }
            for p in self.products
        ]
        columns = ["product", "kind", "source", "satellite", "created_s", "size_bits", "priority", "state", "reason",
                   "holder", "delivered_s", "station", "latency_s", "path"]
        types = {"product": "int64", "created_s": "float64", "size_bits": "float64", "priority": "int64",
                 "delivered_s": "float64", "latency_s": "float64"}
        return pd.DataFrame(rows, columns=columns).astype(types)

    def events_table(self):
        import pandas as pd

        return pd.DataFrame(self.events, columns=EVENT_COLUMNS).astype({"product": "int64"})
