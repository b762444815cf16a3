"""A station scheduler that shares each pass: a satellite sends at most ``quota`` products, then lets others in."""

from pydantic import Field

from constellation.scenario.base import Model
from constellation.sim import StationScheduler


class PassQuota(StationScheduler):
    """Admit a satellite until it has delivered ``quota`` products here during its current pass.

    A satellite holds an antenna for as long as the station admits it; once its quota is reached it lets go, and the
    satellite waiting longest takes the antenna. It does not come back in the same pass, even with the antenna free.
    """

    class Params(Model):
        """Products a satellite may deliver per pass."""

        quota: int = Field(3, ge=1)

    def admits(self, satellite, window: int) -> bool:
        since = satellite.plan.downlink.start[window]
        here = self.agent.name
        sent = sum(1 for p in self.agent.mission.ledger.products
                   if p.station == here and p.satellite == satellite.name and p.delivered_s >= since)
        return sent < self.params.quota
