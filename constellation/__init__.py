"""constellation: simulate satellite constellations, from one imaging satellite to a mega-constellation shell."""

__version__ = "0.1.0"


def __getattr__(name):
    if name in ("run", "Results"):
        from . import results, runner

        return {"run": runner.run, "Results": results.Results}[name]
    if name in ("Scenario", "load_scenario"):
        from . import scenario

        return getattr(scenario, name)
    if name == "sweep":
        from .sweeps import sweep

        return sweep
    if name == "simulate":
        from .sim import simulate

        return simulate
    raise AttributeError(f"module 'constellation' has no attribute {name!r}")


__all__ = ["Results", "Scenario", "load_scenario", "run", "simulate", "sweep"]
