"""Sweep: a small Walker constellation imaging Iran, its 12 satellites in 1 to 6 planes at 450 to 800 km.

For each layout (15 runs): the share of the targets imaged (coverage) and the mean revisit of the targets over
one Iranian daytime. Writes the sweep folder (``--out``, default ``sweep-walker``) and ``sweep_walker.png`` in it.

As a scenario script (``constellation run scenarios/sweep_walker.py``) it gives the base scenario: Walker delta
50 deg: 12/3/0 at 600 km, a narrow camera (15 deg off nadir) over Iran sampled every 250 km, the three ground
stations of ``soleimani_swarm``, from 06:30 to 15:30 Tehran time. Run the sweep with
``python scenarios/sweep_walker.py [--out DIR]``.
"""

import argparse
from pathlib import Path

from constellation.scenario import Scenario, load_scenario

PARAMETERS = {"walker.planes": [1, 2, 3, 4, 6], "walker.altitude": [450, 600, 800]}
METRICS = ["coverage", "revisit_mean_s", "target_max_gap_s", "delivered", "passes_per_day"]


def build() -> Scenario:
    stations = load_scenario("soleimani_swarm").model_dump(mode="json")["ground_stations"]
    return Scenario.model_validate({
        "name": "sweep_walker",
        "description": "Walker delta 50 deg: 12/3/0 at 600 km imaging Iran over one daytime.",
        "epoch": "2026-03-20T03:00:00Z",
        "duration": "9 h",
        "satellites": [{"name": "walker", "orbit": "walker", "total": 12, "planes": 3, "phasing": 0,
                        "altitude": "600 km", "inclination": "50 deg"}],
        "ground_stations": stations,
        "links": {"downlink": {"rate": "100 Mbit/s"}},
        "mission": {
            "storage": "16 GB",
            "power": {"battery": "40 W h", "solar_power": 30, "bus_load": 8},
            "imaging": {"max_off_nadir": "15 deg", "min_sun_elevation": "10 deg", "image_size": "200 MB",
                        "capture_time": "5 s", "power": 10,
                        "regions": [{"name": "iran", "lat_min": 25, "lat_max": 39.5, "lon_min": 44, "lon_max": 63,
                                     "spacing": "250 km"}]},
        },
    })


def plot(table, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = table[table["status"] == "ok"]
    planes, altitudes = PARAMETERS["walker.planes"], PARAMETERS["walker.altitude"]
    panels = [("coverage", "targets imaged (share)", 1.0, "{:.0%}"),
              ("revisit_mean_s", "mean revisit (h)", 3600.0, "{:.1f}")]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for ax, (col, label, scale, fmt) in zip(axes, panels):
        grid = ok.pivot_table(index="walker.altitude", columns="walker.planes", values=col).reindex(
            index=altitudes, columns=planes) / scale
        image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        for i in range(len(altitudes)):
            for j in range(len(planes)):
                value = grid.iat[i, j]
                light = value == value and image.norm(value) > 0.6
                ax.text(j, i, "-" if value != value else fmt.format(value), ha="center", va="center",
                        color="k" if light else "w")
        ax.set_xticks(range(len(planes)), planes)
        ax.set_yticks(range(len(altitudes)), altitudes)
        ax.set_xlabel("planes (12 satellites)")
        ax.set_ylabel("altitude (km)")
        ax.set_title(label)
        fig.colorbar(image, ax=ax)
    fig.suptitle("Walker delta 50 deg, 12 satellites: imaging Iran from 06:30 to 15:30 local time")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    from constellation.sweeps import sweep

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("sweep-walker"), help="sweep folder (default: sweep-walker)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--scheduler", default=None, help="address of a Dask scheduler to run on")
    args = parser.parse_args()
    table = sweep(build(), PARAMETERS, metrics=METRICS, workers=args.workers, scheduler=args.scheduler,
                  out=args.out)
    path = args.out / "sweep_walker.png"
    plot(table, path)
    ok = table[table["status"] == "ok"]
    print("targets imaged (share):")
    print(ok.pivot_table(index="walker.altitude", columns="walker.planes", values="coverage").round(2).to_string())
    print("mean revisit (h):")
    print((ok.pivot_table(index="walker.altitude", columns="walker.planes", values="revisit_mean_s") / 3600.0)
          .round(2).to_string())
    print(f"{len(table)} runs in {args.out}; plot: {path}")


if __name__ == "__main__":
    main()
