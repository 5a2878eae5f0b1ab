"""Live API throughput: a simulator endpoint beside a bare ASGI JSON echo, same server stack.

For each server stack (uvicorn with h11, uvicorn with httptools, granian embedded in the
asyncio loop, as a live run would embed it), one server process serves either

- `echo`: a bare ASGI app that reads the request and answers a small JSON document, or
- `simulator`: the ERP simulator's live app answering `GET /orders/{id}` with a bearer token:
  token check, the fault layer's plan, the ledger, the router and the core, played on the live
  clock (the same code a live run serves),

and `wrk` (one thread, 16 keep-alive connections, 5 s) loads it from a second process. Prints
requests/s per app and the simulator/echo ratio per stack (target: >= 50 %).

Needs `wrk` (`apt-get install wrk`); granian is measured when installed (`pip install
granian`). Run from the repository root:

    .venv/bin/python bench/live_api.py [--duration 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STACKS = ("uvicorn-h11", "uvicorn-httptools", "granian")
APPS = ("echo", "simulator")


async def echo(scope, receive, send) -> None:
    """The bare baseline: read the request, answer a small JSON document."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    body = json.dumps({"path": scope["path"], "ok": True}).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def simulator_world(info: Path):
    from seatrial.catalogue import catalogue
    from seatrial.live.clock import LiveClock
    from seatrial.live.simulator_app import Activity, simulator_app
    from seatrial.live.tokens import TokenIssuer
    from seatrial.simulators.dialect import dialect
    from seatrial.world import World

    scenario = catalogue()["happy-path"]
    world = World(scenario)  # no SUT: deliveries acknowledged and dropped
    world.env.run(until=3600.0)  # an hour of releases: orders to read
    clock = LiveClock(world.env, 3600.0)
    tokens = TokenIssuer(world.faults.stream("live.tokens"), 3600.0)
    info.write_text(json.dumps({"token": tokens.issue("erp"),
                                "order": next(iter(world.erp.orders))}))
    app = simulator_app("erp", world.transport, clock, tokens, Activity(), lambda: {},
                        dialect("erp"))
    return app, clock, world


async def serve(stack: str, app_name: str, port: int, info: Path) -> None:
    clock = None
    if app_name == "echo":
        app = echo
        info.write_text(json.dumps({"token": "-", "order": "SO-000001"}))
    else:
        app, clock, world = simulator_world(info)
        clock.start()
        driver = asyncio.create_task(clock.drive(world.horizon))
        driver.add_done_callback(lambda task: task.exception())
    if stack.startswith("uvicorn"):
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                access_log=False, log_level="warning",
                                http="h11" if stack == "uvicorn-h11" else "httptools")
        await uvicorn.Server(config).serve()
    else:
        from granian.constants import Interfaces
        from granian.server.embed import Server

        await Server(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI,
                     log_enabled=False).serve()


def measure(stack: str, app_name: str, duration: int, connections: int) -> float:
    from seatrial.live.runner import free_port

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        info = Path(tmp) / "info.json"
        server = subprocess.Popen([sys.executable, __file__, "serve", stack, app_name,
                                   str(port), str(info)])
        try:
            deadline = time.monotonic() + 60
            while not info.exists() or not _listening(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{stack}/{app_name}: the server did not start")
                time.sleep(0.1)
            details = json.loads(info.read_text())
            url = f"http://127.0.0.1:{port}/orders/{details['order']}"
            out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s",
                                  "-H", f"Authorization: Bearer {details['token']}", url],
                                 capture_output=True, text=True, check=True).stdout
        finally:
            server.terminate()
            server.wait(10)
    if "Non-2xx" in out:
        raise SystemExit(f"{stack}/{app_name}: non-2xx answers under load:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        _, _, stack, app_name, port, info = sys.argv
        asyncio.run(serve(stack, app_name, int(port), Path(info)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="wrk seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/live_api.py needs wrk: apt-get install wrk")
    print(f"wrk -t1 -c{args.connections} -d{args.duration}s, one server process per row")
    print(f"{'stack':<20}{'echo req/s':>12}{'simulator req/s':>18}{'ratio':>9}")
    for stack in STACKS:
        if stack == "granian" and importlib.util.find_spec("granian") is None:
            print(f"{stack:<20}not installed (.venv/bin/pip install granian to compare it)")
            continue
        rates = {app: measure(stack, app, args.duration, args.connections) for app in APPS}
        ratio = rates["simulator"] / rates["echo"]
        verdict = "PASS" if ratio >= 0.5 else "BELOW"
        print(f"{stack:<20}{rates['echo']:>12,.0f}{rates['simulator']:>18,.0f}"
              f"{ratio:>8.0%}  {verdict} (target >= 50 %)", flush=True)


if __name__ == "__main__":
    main()
