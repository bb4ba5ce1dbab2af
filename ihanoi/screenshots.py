"""Screenshots of the public web pages (issue 13.1), for the README.

``python -m ihanoi.screenshots [OUTDIR]`` (default ``docs/screenshots``) plays the demo's
sample city into a schema of its own on the embedded PostgreSQL (or ``DATABASE_URL``), adds a
result with a photo as evidence and a few alerts, serves the pages and saves each at a desktop
width (1280 px) and a phone width (390 px) as a PNG of 256 colours, with Debian's Chromium
(``IHANOI_CHROMIUM``, default ``/usr/bin/chromium``) driven by Playwright (``pip install -e
'.[test]'``). The business clock stands still at :data:`NOW`, so the pages show the same
history at every run. A page that answers 404 (not built yet) is skipped and said so; the
schema is dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from application.commands import (
    Accept,
    ApproveAlert,
    ApproveResult,
    Assign,
    Classify,
    DraftAlert,
    ProposeResult,
    Publish,
    Rate,
    RegisterReporter,
    SendAlert,
    SubmitReport,
    UpdateResult,
)
from application.database import drop_schema
from application.settings import get_settings
from domain.calendar import BUSINESS_TZ
from ihanoi.runtime import open_runtime
from ihanoi.simulation import Clock, Directory, History, build_directory, city_plan
from projections.deployment import Deployment

#: The instant the screenshots show: the business clock stays there.
NOW = datetime(2026, 3, 27, 10, 0, tzinfo=BUSINESS_TZ)
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
#: The longest a full-page screenshot is kept (the rest of a long list is cut).
MAX_HEIGHT = 2400
CHROMIUM = os.environ.get("IHANOI_CHROMIUM", "/usr/bin/chromium")
DISTRICT = "Hoàn Kiếm"


def _photo() -> bytes:
    """A street after the repair, drawn: what a handling officer would upload as evidence."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), (150, 190, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, 800, 600), fill=(90, 90, 95))  # the road
    draw.polygon([(360, 330), (440, 330), (520, 600), (280, 600)], fill=(70, 70, 75))
    for y in range(350, 600, 60):
        draw.rectangle((395, y, 405, y + 30), fill=(235, 235, 235))  # lane marks
    draw.ellipse((520, 430, 640, 470), fill=(60, 60, 62))  # the patched pothole
    draw.rectangle((0, 200, 800, 330), fill=(200, 170, 120))  # houses
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _at(clock: Clock, hours_before: float) -> None:
    clock.now = NOW - timedelta(hours=hours_before)


def populate(runtime: Deployment, clock: Clock, reports: int, seed: int) -> dict[str, Any]:
    """The demo's sample city and ``reports`` reports over the 45 days before :data:`NOW`,
    then a result published with a photo and rated, and alerts of the city, a district and
    a ward; returns what the pages' addresses need."""
    app = runtime.app
    plan = city_plan([DISTRICT, "Ba Đình", "Cầu Giấy"],
                     ["Sở Xây dựng", "Sở Nông nghiệp và Môi trường"], codes=True)
    directory: Directory = build_directory(app, plan)
    history = History(app, directory, seed=seed, start=NOW - timedelta(days=45),
                      end=NOW - timedelta(days=2))
    history.register_reporters(20)
    history.play(reports)

    district = f"UBND quận {DISTRICT}"
    receiver = directory.officer(f"Tiếp nhận 1 {district}")
    head = directory.officer(f"Thủ trưởng {district}")
    officer_name = f"Xử lý 1 Phòng Quản lý đô thị {DISTRICT}"
    officer = directory.officer(officer_name)
    _at(clock, 27.5)  # 06:30 the day before
    reporter_id = app.handle(RegisterReporter("Nguyễn Thị Hạnh", phone="0912000111",
                                              email="hanh@example.vn",
                                              national_id="001199000111")).aggregate_id
    report_id = app.handle(SubmitReport(
        reporter_id, kind="field", category="infrastructure",
        text="Ổ gà lớn trên mặt đường trước số 18 Hàng Bài, nhiều xe máy bị ngã vào buổi tối.",
        latitude=21.0227, longitude=105.8526, address="18 Hàng Bài, Hoàn Kiếm",
        receiving_unit_id=directory.unit(district))).aggregate_id
    steps: list[tuple[float, Callable[[], Any]]] = [
        (26.5, lambda: app.handle(Accept(report_id), receiver)),
        (26, lambda: app.handle(Classify(report_id, "urgent"), head)),
        (25.5, lambda: app.handle(Assign(report_id, directory.unit(
            f"Phòng Quản lý đô thị {DISTRICT}"), directory.officer_id(officer_name)), head)),
    ]
    for hours, step in steps:
        _at(clock, hours)
        step()
    _at(clock, 22.5)
    evidence = [str(app.upload_attachment(io.BytesIO(_photo()), officer,
                                          "sau-khi-va.jpg").aggregate_id)]
    text = ("Đã phối hợp với đơn vị duy tu vá ổ gà, hoàn trả mặt đường và đặt biển cảnh báo "
            "trong thời gian thi công.")
    for hours, step in [
            (22, lambda: app.handle(ProposeResult(report_id, text, evidence), officer)),
            (21.5, lambda: app.handle(ApproveResult(report_id), head)),
            (21, lambda: app.handle(UpdateResult(report_id, evidence), officer)),
            (20.5, lambda: app.handle(Publish(report_id), head)),
            (2, lambda: app.handle(Rate(report_id, "satisfied",
                                         "Xử lý nhanh, cảm ơn phường và quận."),
                                    app.citizen_actor(reporter_id)))]:
        _at(clock, hours)
        step()

    ward = f"UBND phường 1 {DISTRICT}"
    for hours, author, severity, title, body in [
            (24, "Thủ trưởng Sở Xây dựng", "high", "Cảnh báo rét đậm, rét hại",
             ("Nhiệt độ ngoài trời xuống dưới 10 °C trong ba ngày tới; người dân giữ ấm cho "
              "trẻ nhỏ, người cao tuổi và không đốt than trong phòng kín.")),
            (2.5, f"Thủ trưởng {district}", "medium", "Tạm ngừng cấp điện phố Hàng Bài",
             "Ngừng cấp điện từ 8 giờ đến 12 giờ ngày mai để bảo dưỡng trạm biến áp."),
            (1.5, f"Chủ tịch {ward}", "low", "Lịch tiêm chủng mở rộng tháng 3",
             "Trạm y tế phường tiêm chủng cho trẻ dưới 5 tuổi vào sáng thứ Bảy.")]:
        _at(clock, hours)
        by = directory.officer(author)
        alert_id = app.handle(DraftAlert(category="warning" if severity != "low"
                                         else "information", severity=severity, title=title,
                                         body=body, valid_from=clock.now,
                                         valid_until=clock.now + timedelta(days=7)),
                              by).aggregate_id
        app.handle(ApproveAlert(alert_id), by)
        app.handle(SendAlert(alert_id), by)
    clock.now = NOW
    while runtime.projector.run_once():
        pass
    return {"report_id": report_id, "ward": directory.unit(ward)}


def pages(ids: dict[str, Any]) -> list[tuple[str, str]]:
    """(file name, path) of every public page."""
    return [("home", "/cong-khai/"), ("results", "/cong-khai/ket-qua"),
            ("result", f"/cong-khai/ket-qua/{ids['report_id']}"),
            ("ranking", "/cong-khai/xep-hang"), ("statistics", "/cong-khai/thong-ke"),
            ("alerts", f"/cong-khai/canh-bao?khu-vuc={ids['ward']}")]


@contextmanager
def serving(runtime: Deployment) -> Iterator[str]:
    """The API with its pages on a free local port; yields its base URL."""
    import uvicorn

    from api.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(
        create_app(runtime, secrets.token_urlsafe(48), follow=False), host="127.0.0.1",
        port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def save(png: bytes, target: Path) -> None:
    """``png`` cut to :data:`MAX_HEIGHT` and reduced to 256 colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.height > MAX_HEIGHT:
        image = image.crop((0, 0, image.width, MAX_HEIGHT))
    image.quantize(colors=256).save(target, optimize=True)


def shoot(base: str, targets: list[tuple[str, str]], out: Path) -> list[str]:
    """Save each page at each width into ``out``; returns the paths skipped (404)."""
    from playwright.sync_api import sync_playwright

    skipped: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for width, (w, h) in WIDTHS.items():
            context = browser.new_context(viewport={"width": w, "height": h}, locale="vi-VN")
            page = context.new_page()
            for name, path in targets:
                response = page.goto(base + path)
                status = response.status if response else 0
                if status == 404:
                    if path not in skipped:
                        skipped.append(path)
                    continue
                if status != 200:
                    raise SystemExit(f"{path} answered {status}")
                target = out / f"{name}-{width}.png"
                save(page.screenshot(full_page=True), target)
                print(f"{target} ({target.stat().st_size // 1024} KiB)")
            context.close()
        browser.close()
    return skipped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", nargs="?", default="docs/screenshots", type=Path)
    parser.add_argument("--reports", type=int, default=150)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    schema = f"screenshots_{secrets.token_hex(4)}"
    clock = Clock(NOW - timedelta(days=45))
    runtime = open_runtime(get_settings().model_copy(update={"schema": schema}), clock=clock)
    try:
        ids = populate(runtime, clock, args.reports, args.seed)
        with serving(runtime) as base:
            skipped = shoot(base, pages(ids), args.outdir)
    finally:
        runtime.close()
        drop_schema(runtime.url, schema)
    for path in skipped:
        print(f"skipped {path}: 404 (no such page yet)", file=sys.stderr)


if __name__ == "__main__":
    main()
