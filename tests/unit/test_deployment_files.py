"""Issue 15 item 2: the deployment files (deploy/compose.yaml, deploy/systemd/*.service) name
only commands and options the ``ihanoi`` CLI has, and wire each process to the database the
way docs/DEPLOYMENT.md says: commands and queries through pgbouncer in transaction mode, the
rest to the primary itself."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.core
import yaml
from sqlalchemy.engine import make_url

from ihanoi.cli import app

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def resolve(argv: list[str]) -> Any:
    """The CLI command ``ihanoi ARGV`` runs, its options parsed as the CLI would (an unknown
    command or option, or a bad value, raises a ``typer.TyperException``, click's usage
    errors as Typer bundles them); nothing is run."""
    command: Any = typer.main.get_command(app)
    args = list(argv)
    while isinstance(command, typer.core.TyperGroup):
        assert args, f"ihanoi {' '.join(argv)}: a group, not a command"
        found = command.get_command(typer.Context(command), args[0])
        if found is None:
            raise typer.BadParameter(f"no command {args[0]!r} in ihanoi {' '.join(argv)}")
        command, args = found, args[1:]
    command.make_context("ihanoi", args)
    return command


def ihanoi_services() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in COMPOSE["services"].items()
            if service.get("image") == "ihanoi:latest"}


def test_the_compose_file_runs_the_processes_of_the_deployment_document() -> None:
    assert {"primary", "replica", "pgbouncer", "api-1", "api-2", "projector",
            "scheduler"} <= set(COMPOSE["services"])
    commands = {name: service["command"][:3] for name, service in ihanoi_services().items()}
    assert commands == {"migrate": ["ihanoi", "migrate"],
                        "api-1": ["ihanoi", "serve", "--no-projector"],
                        "api-2": ["ihanoi", "serve", "--no-projector"],
                        "projector": ["ihanoi", "projections", "run"],
                        "scheduler": ["ihanoi", "scheduler"]}


@pytest.mark.parametrize("service", sorted(ihanoi_services()))
def test_every_compose_command_exists_in_the_cli(service: str) -> None:
    argv = ihanoi_services()[service]["command"]
    assert argv[0] == "ihanoi"
    resolve(argv[1:])


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_every_systemd_unit_runs_a_command_of_the_cli(unit: Path) -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(unit)
    argv = shlex.split(parser["Service"]["ExecStart"])
    assert Path(argv[0]).name == "ihanoi"
    resolve(argv[1:])


def test_a_misspelt_command_or_option_would_be_caught() -> None:
    """The check above is not vacuous: what the CLI does not have is refused."""
    with pytest.raises(typer.TyperException):
        resolve(["projections", "follow"])
    with pytest.raises(typer.TyperException):
        resolve(["serve", "--processes", "4"])
    with pytest.raises(typer.TyperException):
        resolve(["serve", "--workers", "four"])


def test_commands_go_through_pgbouncer_and_sessions_to_the_primary() -> None:
    """DATABASE_URL names pgbouncer, in transaction mode; IHANOI_DIRECT_DATABASE_URL the
    primary (LISTEN, the leader lock, the projector, migrations)."""
    pgbouncer = COMPOSE["services"]["pgbouncer"]["environment"]
    assert (pgbouncer["POOL_MODE"], pgbouncer["DB_HOST"]) == ("transaction", "primary")
    for name, service in ihanoi_services().items():
        env = service["environment"]
        assert make_url(env["DATABASE_URL"]).host == "pgbouncer", name
        assert make_url(env["IHANOI_DIRECT_DATABASE_URL"]).host == "primary", name
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(DEPLOY / "pgbouncer" / "pgbouncer.ini")
    assert ini["pgbouncer"]["pool_mode"] == "transaction"


def test_the_api_reads_on_the_replica_and_the_rest_stays_on_the_primary() -> None:
    """Issue 15.1: the API services' queries go to the streaming replica; commands, the
    projector and the scheduler never read from it."""
    for name, service in ihanoi_services().items():
        replicas = service["environment"].get("IHANOI_READ_DATABASE_URLS")
        if name.startswith("api-"):
            assert [make_url(url).host for url in replicas.split()] == ["replica"], name
        else:
            assert replicas is None, name
