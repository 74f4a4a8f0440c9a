"""The demo's barrier: it opens when told (or, configured with `confirms: false`, never
answers, as a barrier with a cut cable would), so the console's flag can be shown too."""

from __future__ import annotations

from borderflow.devices.barrier.base import BarrierUnreachable, Command, Report


class SimulatedBarrier:
    def __init__(self, *, confirms: bool = True):
        self.confirms = confirms

    def send(self, command: Command) -> Report:
        if not self.confirms:
            raise BarrierUnreachable("the simulated barrier does not answer")
        return Report("open", "simulated")
