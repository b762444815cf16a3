"""Imaging: a satellite captures each target at its best moment in view, if it is up, powered and has room."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..scenario.base import Model
from ..scenario.units import Bits, Power, Seconds
from .behaviour import Behaviour, register


@register("imaging")
class Imaging(Behaviour):
    """Capture every target of the satellite's plan at its best moment (closest to nadir) while it is in view.

    The capture costs ``power`` for ``capture_time`` from the battery; the image (``image_size``) is then kept on
    board, or dropped for "failure" (satellite out of service), "power" or "storage_full". Two hooks let a subclass
    change the tasking or the product without rewriting the loop: ``wants(target)`` (skip a target now) and
    ``prepare(image)`` (a generator run between capture and storage, e.g. onboard processing).
    """

    role = "imaging"

    class Params(Model):
        """The payload: image size, capture time and power while capturing."""

        image_size: Bits = Field(1.2e10, gt=0)
        capture_time: Seconds = Field(10.0, gt=0)
        power: Power = Field(40.0, ge=0)

    def applies(self) -> bool:
        return len(self.agent.plan.targets) > 0

    def wants(self, target: str) -> bool:
        """Whether to image ``target`` now (it is in view at its best moment)."""
        return True

    def prepare(self, image):
        """What happens to an image between its capture and its storage (a generator; nothing by default)."""
        return
        yield

    def run(self):
        sat, env, prm = self.agent, self.env, self.params
        targets = sat.plan.targets
        priorities = sat.mission.target_priority
        for k in np.argsort(targets.extra["best_s"], kind="stable"):
            at = max(float(targets.extra["best_s"][k]), env.now)
            if at > float(targets.end[k]):
                continue
            if at > env.now:
                yield env.timeout(at - env.now)
            target = targets.other[k]
            if not self.wants(target):
                continue
            image = sat.make("image", target, prm.image_size, priorities.get(target, 1))
            if not sat.up():
                sat.drop(image, "failure")
                continue
            if not sat.battery.draw(prm.power * prm.capture_time):
                sat.drop(image, "power")
                continue
            yield from self.prepare(image)
            if sat.keep(image):
                sat.log("capture", f"{target} image {image.id}", image)
            yield env.timeout(prm.capture_time)
