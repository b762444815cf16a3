"""The ``constellation`` command line: one typer app, one module per command group, helpers in ``common``."""

from __future__ import annotations

import typer

from . import export, plots, route, run, sweep, view
from . import coverage
from . import lifetime
from .common import console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Simulate satellite constellations: orbits, contacts, links and routes, missions, sweeps.",
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        console.print(f"constellation {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Simulate satellite constellations: orbits, contacts, links and routes, missions, sweeps."""


app.command("run")(run.run_command)
app.command("validate")(run.validate_command)
app.command("route")(route.route_command)
app.command("scenarios")(run.scenarios_command)
app.command("behaviours")(run.behaviours_command)
app.command("schema")(run.schema_command)
app.command("sweep")(sweep.sweep_command)
app.command("plot")(plots.plot_command)
app.command("report")(plots.report_command)
app.command("view")(view.view_command)
app.command("fetch-cesium")(view.fetch_cesium_command)
app.command("lifetime")(lifetime.lifetime_command)
app.command("coverage")(coverage.coverage_command)
app.command("export")(export.export_command)


def command():
    """The click command behind ``app``, with boolean flags shown as flags in ``--help`` (no ``<bool>``)."""
    cmd = typer.main.get_command(app)
    stack = [cmd]
    while stack:
        c = stack.pop()
        for param in c.params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        c.get_help_option = _flag_help(c.get_help_option)
        stack += list(getattr(c, "commands", {}).values())
    return cmd


def _flag_help(get_help_option):
    def wrapped(ctx):
        option = get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    return wrapped


def main() -> None:
    """Entry point of the ``constellation`` console script."""
    command()(prog_name="constellation")
