"""The README's curl walkthrough works as written (issue 11 item 3): its ``sh`` blocks, run in
order in one bash shell, take a report through its whole life against a running server on the
demo's city — registration of the citizen included, every id found over HTTP, none read from
the database."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from application.services import IHanoi
from domain.report import Report
from ihanoi.simulation import build_directory, city_plan
from projections.deployment import Deployment
from projections.engine import Projector

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Walkthrough: a report's whole life with curl"
SECRET = "walkthrough-secret-of-32-bytes-or-more"


def walkthrough_script() -> str:
    """The ``sh`` blocks of the README's walkthrough section, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end != -1 else None]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) >= 6, "the walkthrough lost its steps"
    return "\n".join(blocks)


@pytest.fixture
def server(app: IHanoi, projector: Projector, database_url: str, fresh_schema: str,
           tmp_path: Path) -> Iterator[str]:
    """The API on a free local port, following its read models, on the demo's city, with the
    demo's tokens in the data directory (``tmp_path``) as ``ihanoi demo`` writes them."""
    import uvicorn
    from rich.console import Console

    from api.app import create_app
    from ihanoi import cli

    build_directory(app, city_plan(["Hoàn Kiếm", "Ba Đình", "Cầu Giấy"],
                                   ["Sở Xây dựng", "Sở Nông nghiệp và Môi trường"], codes=True,
                                   overseers=True))
    projector.catch_up()
    runtime = Deployment(url=database_url, schema=fresh_schema, app=app, projector=projector)
    cli.show_tokens(cli.demo_tokens(runtime, SECRET), Console(file=io.StringIO()),
                    tmp_path / cli.TOKENS_FILE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(runtime, SECRET), host="127.0.0.1", port=port,
                            log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq") and shutil.which("bash")),
                    reason="the walkthrough needs bash, curl and jq")
def test_the_readme_walkthrough_runs_a_report_through_its_whole_life_over_http(
        server: str, app: IHanoi, tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)  # where `ihanoi` is installed
    env = {**os.environ, "API": server, "IHANOI_JWT_SECRET": SECRET,
           "IHANOI_DATA_DIR": str(tmp_path), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    script = walkthrough_script() + '\necho "last $(seen)"'  # what the reads asked for
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], check=False, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    submitted = re.search(r"^report (\S+)$", out, re.MULTILINE)
    assert submitted, out
    report_id = UUID(submitted.group(1))
    report = app.load(report_id, Report, to_change=False)
    assert (report.status, report.rating) == ("published", "satisfied")
    assert "Đã thay bộ điều khiển đèn tín hiệu" in out  # the public result, read back
    for step in ("Submitted", "Accepted", "Assigned", "ResultProposed", "ResultUpdated",
                 "Published"):
        assert f"  {step}  " in out, step  # the audit trail, every unit's steps
    assert f"published  {report_id}" in out  # the citizen's own list
    assert re.search(r"^last X-Min-Position: [1-9][0-9]*$", out, re.MULTILINE), out
