"""Sweep: the ten-satellite swarm's layout (1, 2 or 5 planes) with and without its GEO relay, over one day.

For each layout, with the relay on and off and two messaging seeds each (12 runs): how often the imaging
targets are seen again (mean revisit, and the longest gap of the worst target) and the mean delivery latency of
messages and images. Writes the sweep folder (``--out``, default
``sweep-swarm``) and ``sweep_swarm.png`` in it.

As a scenario script (``constellation run scenarios/sweep_swarm.py``) it gives the base scenario: the bundled
``soleimani_swarm`` with its satellites spread evenly over the planes (no fixed RAAN or in-plane spacing), so that
every number of planes is a valid layout. Run the sweep with ``python scenarios/sweep_swarm.py [--out DIR]``.
"""

import argparse
from pathlib import Path

from constellation.scenario import Scenario, load_scenario

PARAMETERS = {"soleimani.planes": [1, 2, 5], "relay.enabled": [True, False]}
SEEDS = 2
METRICS = ["revisit_mean_s", "target_max_gap_s", "latency_message.mean_s", "latency_image.mean_s", "coverage",
           "delivered", "relay_utilisation"]


def build() -> Scenario:
    data = load_scenario("soleimani_swarm").model_dump(mode="json")
    data["name"] = "sweep_swarm"
    data["satellites"][0].update(raan_spacing=None, in_plane_spacing=None)
    return Scenario.model_validate(data)


def plot(table, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = table[table["status"] == "ok"]
    mean = ok.groupby(["soleimani.planes", "relay.enabled"])[METRICS].mean().reset_index()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), constrained_layout=True)
    relay_on = mean[mean["relay.enabled"]]
    axes[0].plot(relay_on["soleimani.planes"], relay_on["revisit_mean_s"] / 3600.0, "o-", label="mean revisit")
    axes[0].plot(relay_on["soleimani.planes"], relay_on["target_max_gap_s"] / 3600.0, "^-",
                 label="longest gap, worst target")
    axes[0].set_ylabel("time between images of a target (h)")
    for ax, (col, label) in zip(axes[1:], [("latency_message.mean_s", "mean message latency (min)"),
                                          ("latency_image.mean_s", "mean image latency (min)")]):
        for enabled, style in ((True, "o-"), (False, "s--")):
            rows = mean[mean["relay.enabled"] == enabled]
            ax.plot(rows["soleimani.planes"], rows[col] / 60.0, style, label=f"relay {'on' if enabled else 'off'}")
        ax.set_ylabel(label)
        ax.legend()
    for ax in axes:
        ax.set_xlabel("planes (10 satellites)")
        ax.set_xticks(PARAMETERS["soleimani.planes"])
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"Swarm layout and relay, one day, mean of {SEEDS} seeds")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    from constellation.sweeps import sweep

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("sweep-swarm"), help="sweep folder (default: sweep-swarm)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--scheduler", default=None, help="address of a Dask scheduler to run on")
    args = parser.parse_args()
    table = sweep(build(), PARAMETERS, seeds=SEEDS, metrics=METRICS, workers=args.workers,
                  scheduler=args.scheduler, out=args.out)
    path = args.out / "sweep_swarm.png"
    plot(table, path)
    summary = table[table["status"] == "ok"].groupby(["soleimani.planes", "relay.enabled"])[METRICS[:4]].mean()
    print((summary / [3600.0, 3600.0, 60.0, 60.0]).rename(columns={
        "revisit_mean_s": "revisit (h)", "target_max_gap_s": "longest gap (h)",
        "latency_message.mean_s": "message latency (min)", "latency_image.mean_s": "image latency (min)",
    }).round(2).to_string())
    print(f"{len(table)} runs in {args.out}; plot: {path}")


if __name__ == "__main__":
    main()
