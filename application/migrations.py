"""Run the read-model migrations (Alembic, raw SQL) from Python.

``alembic.ini`` and ``alembic/`` live at the repository root, next to this package, so this
works from a source checkout or an editable install (``pip install -e .``), not from a
wheel.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

REPO_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = REPO_ROOT / "alembic.ini"
ALEMBIC_DIR = REPO_ROOT / "alembic"


def alembic_config(url: str, schema: str = "public") -> Config:
    """An Alembic ``Config`` bound to ``url`` and ``schema`` (for ``alembic.command.*``)."""
    from alembic.config import Config

    if not ALEMBIC_INI.is_file():
        msg = (
            f"{ALEMBIC_INI} not found: migrations run from a source checkout or an "
            "editable install (pip install -e .)"
        )
        raise FileNotFoundError(msg)
    config = Config(str(ALEMBIC_INI))
    # Absolute, so the current directory does not matter ('%' is configparser syntax).
    config.set_main_option("script_location", str(ALEMBIC_DIR).replace("%", "%%"))
    config.attributes["url"] = url
    config.attributes["schema"] = schema
    config.attributes["configure_logger"] = False
    return config


def upgrade(url: str, schema: str = "public") -> None:
    """``alembic upgrade head`` into ``schema`` (created if missing) of the database at ``url``.

    Safe to run concurrently (an advisory lock per schema serialises runs) and repeatedly.
    """
    from alembic import command

    command.upgrade(alembic_config(url, schema), "heads")


def extension_schema(conn: Connection, extension: str) -> str:
    """The schema ``extension`` is installed in, quoted for SQL (revisions look it up rather
    than assume ``public``: a database may have it elsewhere)."""
    row = conn.exec_driver_sql(
        "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n"
        " ON n.oid = e.extnamespace WHERE e.extname = %(name)s", {"name": extension}).fetchone()
    if row is None:
        raise LookupError(f"extension {extension} is not installed")
    return str(row[0])
