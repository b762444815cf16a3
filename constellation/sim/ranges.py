"""Range and light time between any two nodes of a mission at a moment: every hop's propagation delay."""

from __future__ import annotations

import numpy as np

from ..constants import C_KM_S


class Ranges:
    """Straight-line range (km) and one-way light time (s) between two named nodes at an instant.

    Fleet members (satellites, the relay) move: their ITRS position at ``t`` comes from ``fleet.states``. Ground
    nodes (stations, messaging terminals) sit at the fixed ITRS positions given in ``fixed`` (name -> (x, y, z) km).
    The range is the instantaneous distance between the two positions at ``t``, the moment a transmission starts;
    the light time is that range over c (``constants.C_KM_S``). The last position of each node is kept, so asking
    again at the same instant (the rate, then the hop) propagates once, and two moving ends propagate together.
    """

    def __init__(self, fleet=None, fixed: dict | None = None):
        self.fleet = fleet
        self.index = {} if fleet is None else {n: i for i, n in enumerate(fleet.names)}
        self.fixed = {name: np.asarray(pos, dtype=float).reshape(3) for name, pos in (fixed or {}).items()}
        both = sorted(set(self.index) & set(self.fixed))
        if both:
            raise ValueError(f"nodes both in the fleet and on the ground: {', '.join(both)}")
        self._last: dict[str, tuple[float, np.ndarray]] = {}

    @classmethod
    def of(cls, fleet, ground) -> Ranges:
        """The ranges of a fleet and ground points (``access.Station`` objects; a name given twice must agree)."""
        fixed: dict[str, np.ndarray] = {}
        for s in ground:
            pos = np.asarray(s.itrs, dtype=float)
            if s.name in fixed and not np.allclose(fixed[s.name], pos, rtol=0.0, atol=1e-6):
                raise ValueError(f"two ground points named {s.name!r} at different places")
            fixed[s.name] = pos
        return cls(fleet, fixed)

    def position_km(self, node: str, t: float) -> np.ndarray:
        """ITRS position of ``node`` at ``t`` (s since the epoch), km."""
        return self._positions((node,), t)[0]

    def range_km(self, a: str, b: str, t: float) -> float:
        """Distance between ``a`` and ``b`` at ``t``, km."""
        pa, pb = self._positions((a, b), t)
        return float(np.linalg.norm(pa - pb))

    def _positions(self, nodes, t: float) -> list[np.ndarray]:
        """Positions of ``nodes`` at ``t``: the moving ones not known at ``t`` yet in one propagation."""
        out: list = []
        moving: list[int] = []
        for k, node in enumerate(nodes):
            pos = self.fixed.get(node)
            if pos is None:
                last = self._last.get(node)
                if last is not None and last[0] == t:
                    pos = last[1]
                elif node not in self.index:
                    raise KeyError(f"no position for node {node!r}: neither a fleet member nor a ground point")
                else:
                    moving.append(k)
            out.append(pos)
        if len(moving) == 1:
            k = moving[0]
            r = self.fleet.position_itrs(self.index[nodes[k]], t)
            self._last[nodes[k]] = (t, r)
            out[k] = r
        elif moving:
            idx = np.array([self.index[nodes[k]] for k in moving])
            r = self.fleet.positions_itrs(np.full(len(moving), float(t)), idx)
            for j, k in enumerate(moving):
                self._last[nodes[k]] = (t, r[j])
                out[k] = r[j]
        return out

    def delay_s(self, a: str, b: str, t: float) -> float:
        """One-way light time between ``a`` and ``b`` for a signal sent at ``t``: range at ``t`` over c, s."""
        return self.range_km(a, b, t) / C_KM_S
