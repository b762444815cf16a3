"""Onboard compression: every image is compressed before it is stored, at a cost in time and energy."""

from pydantic import Field

from constellation.scenario.units import Power, Seconds
from constellation.sim import Imaging


class CompressedImaging(Imaging):
    """Imaging that compresses each image ``ratio`` times on board before storing it.

    Compressing takes ``processing_time`` at ``processing_power`` from the battery, and the camera waits for it: a
    target whose moment passes meanwhile is not imaged. When the battery cannot pay, the image is stored as captured
    and a "compress" event says so.
    """

    class Params(Imaging.Params):
        """The payload's parameters, and the compression's ratio, time and power."""

        ratio: float = Field(4.0, ge=1)
        processing_time: Seconds = Field(2.0, ge=0)
        processing_power: Power = Field(20.0, ge=0)

    def prepare(self, image):
        sat, prm = self.agent, self.params
        if not sat.battery.draw(prm.processing_power * prm.processing_time):
            sat.log("compress", f"image {image.id} stored uncompressed: battery low", image)
            return
        yield self.env.timeout(prm.processing_time)
        image.size_bits /= prm.ratio
