"""Power: a satellite's battery, and the behaviour that switches its array at every eclipse boundary.

The battery is a SimPy Container charged by the array in sunlight and drained by the loads.
"""

from __future__ import annotations

import simpy

from .behaviour import Behaviour, register


class Battery:
    """Energy in joules; continuous flows (array, bus load) are integrated lazily at every ``settle``.

    Activities (a capture, a transmission) take their energy at once with ``draw``, and are refused when they would
    leave less than ``min_fraction`` of the capacity. ``history`` holds (time, fraction) at every change of slope,
    including the moment the battery fills, so straight lines between its points are the charge over time.
    """

    def __init__(self, env: simpy.Environment, capacity_wh: float, initial_fraction: float, solar_w: float,
                 bus_w: float, min_fraction: float):
        self.env = env
        self.capacity_j = capacity_wh * 3600.0
        self.store = simpy.Container(env, capacity=self.capacity_j, init=initial_fraction * self.capacity_j)
        self.solar_w, self.bus_w = solar_w, bus_w
        self.min_j = min_fraction * self.capacity_j
        self.sunlit = True
        self._last = env.now
        self.lowest_fraction = initial_fraction
        self.history: list[tuple[float, float]] = [(env.now, initial_fraction)]

    @property
    def fraction(self) -> float:
        return self.store.level / self.capacity_j

    def settle(self) -> None:
        """Bring the charge up to now under the array and bus load since the last change."""
        dt = self.env.now - self._last
        self._last = self.env.now
        if dt <= 0:
            return
        net = ((self.solar_w if self.sunlit else 0.0) - self.bus_w) * dt
        if net > 0:
            room = self.store.capacity - self.store.level
            if room > 0:
                if net > room:
                    self.history.append((self._last - dt + room / (net / dt), 1.0))
                self.store.put(min(net, room))
        elif net < 0:
            take = min(-net, self.store.level)
            if take > 0:
                self.store.get(take)
        self._record()

    def _record(self) -> None:
        self.lowest_fraction = min(self.lowest_fraction, self.fraction)
        if self.history[-1] != (self.env.now, self.fraction):
            self.history.append((self.env.now, self.fraction))

    def set_sunlit(self, sunlit: bool) -> None:
        self.settle()
        self.sunlit = sunlit

    def draw(self, energy_j: float) -> bool:
        """Take ``energy_j`` for an activity if that leaves the reserve intact; False (nothing taken) otherwise."""
        self.settle()
        if self.store.level - energy_j < self.min_j:
            return False
        if energy_j > 0:
            self.store.get(energy_j)
        self._record()
        return True


@register("power")
class Power(Behaviour):
    """Switch the solar array off and on at every eclipse boundary of the satellite's plan."""

    role = "power"

    def applies(self) -> bool:
        return len(self.agent.plan.eclipses) > 0

    def run(self):
        env, battery, eclipses = self.env, self.agent.battery, self.agent.plan.eclipses
        for start, end in zip(eclipses.start, eclipses.end):
            if start > env.now:
                yield env.timeout(start - env.now)
            battery.set_sunlit(False)
            if end > env.now:
                yield env.timeout(end - env.now)
            battery.set_sunlit(True)
