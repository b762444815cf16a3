"""Inter-satellite forwarding: a product whose fastest way down crosses inter-satellite links sets off along them."""

from __future__ import annotations

from .behaviour import Behaviour, register
from .products import ON_BOARD


@register("isl")
class IslForwarding(Behaviour):
    """Carry each new product along the inter-satellite hops of its earliest route to the ground.

    Every product put on board (made here or uplinked, not one that came over a link) is routed with the mission's
    router. Each hop leaves at its planned departure and takes its transmission time at the link's rate plus the light time
    then; the product stays put if it left meanwhile (sent down or to the relay) or the link is down.
    """

    role = "isl"

    def applies(self) -> bool:
        return self.agent.mission.router is not None

    def start(self) -> None:
        if self.applies():
            self.agent.stored_hooks.append(self.stored)

    def stored(self, p, hop) -> None:
        """Called for every product put on board this satellite."""
        if hop == "isl":
            return
        hops = self.agent.mission.router(self.agent.name, self.env.now, p.size_bits)
        if hops:
            self.spawn(self.forward(p, hops))

    def forward(self, p, hops):
        """Carry ``p`` along ``hops`` (from, to, depart, rate_bps)."""
        env, satellites = self.env, self.agent.mission.satellites
        for a, b, depart, rate in hops:
            if depart > env.now:
                yield env.timeout(depart - env.now)
            if p.state != ON_BOARD or p.holder != a:
                return
            sent = yield from satellites[a].send(p, satellites[b], rate)
            if sent != "stored":
                return
