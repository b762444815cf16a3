"""Message collection: a terminal's messages wait for a satellite in service to pass over, then go up to it."""

from __future__ import annotations

import numpy as np

from .behaviour import Behaviour, register


@register("collection")
class Collection(Behaviour):
    """Each message goes up to the first satellite in view and in service from the moment it is written.

    A message becomes a product when its uplink starts (created at the time it was written). Each uplink is its own
    process, so messages that waited for the same pass go up together; the uplink takes its transmission time at the
    terminal's rate plus the light time, and the satellite keeps the message on arrival (or drops it when full).
    Messages with no satellite before the end of the run stay ``pending`` at the terminal.
    """

    role = "collection"
    agents = ("terminal",)

    def run(self):
        terminal, env = self.agent, self.env
        mission = terminal.mission
        passes = terminal.passes
        for t0 in terminal.created:
            best, sat = np.inf, None
            for k in np.nonzero(passes.end > t0)[0]:
                at = max(float(t0), float(passes.start[k]))
                name = passes.other[k]
                while at < passes.end[k] and not terminal.link_up(name, at):
                    at = terminal.link_up_again(name, at)
                if at < passes.end[k] and at < best:
                    best, sat = at, name
                if passes.start[k] > best:
                    break
            if sat is None or best >= mission.end_s:
                terminal.pending += 1
                continue
            if best > env.now:
                yield env.timeout(best - env.now)
            message = terminal.make("message", terminal.name, terminal.size_bits, terminal.priority,
                                    created_s=float(t0), satellite=sat)
            self.spawn(self.uplink(message, mission.satellites[sat]))

    def uplink(self, message, satellite):
        """One message up to ``satellite``."""
        yield from self.agent.send(message, satellite, self.agent.uplink_bps)
