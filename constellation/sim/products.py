"""Data products and the ledger that follows each one to its end: delivered, on board, or dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

DELIVERED, ON_BOARD, DROPPED, IN_TRANSIT = "delivered", "on_board", "dropped", "in_transit"
DROP_REASONS = ("storage_full", "power", "failure")


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


class Ledger:
    """Every product and every event of a run, in the order they happened."""

    def __init__(self):
        self.products: list[Product] = []
        self.events: list[tuple[float, str, str, str]] = []

    def new(self, kind, source, created_s, size_bits, priority, satellite, holder) -> Product:
        p = Product(len(self.products), kind, source, created_s, size_bits, priority, satellite, holder,
                    path=[satellite])
        self.products.append(p)
        return p

    def log(self, t: float, node: str, event: str, detail: str = "") -> None:
        self.events.append((t, node, event, detail))

    def drop(self, p: Product, t: float, reason: str) -> None:
        p.state, p.reason = DROPPED, reason
        self.log(t, p.holder, "drop", f"{p.kind} {p.id}: {reason}")

    def deliver(self, p: Product, t: float, station: str) -> None:
        p.state, p.delivered_s, p.station = DELIVERED, t, station
        p.path.append(station)
        self.log(t, station, "deliver", f"{p.kind} {p.id} from {p.satellite}")

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
        return pd.DataFrame(rows, columns=columns)

    def events_table(self):
        import pandas as pd

        return pd.DataFrame(self.events, columns=["t_s", "node", "event", "detail"])
