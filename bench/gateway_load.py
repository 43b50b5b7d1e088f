"""Load test of `popsc serve` on loopback, against a minimal ASGI app measured in the
same run.

The gateway serves examples/support with its recorded answers (`--recordings`); the
load is `POST /prompts/support.prompts.triage_ticket` with the inputs of one of the
project's tests (a record in, a record out, runtime policies checked both ways, one
audit and one request log line per call). The minimal app is a bare ASGI callable under
the same uvicorn settings that reads the request body and returns the gateway's own
response body, byte for byte, so both put the same bytes on the wire.

Both run as separate processes; the load generator is raw HTTP/1.1 keep-alive over
asyncio streams (far cheaper per request than an HTTP client library, so it takes little
of the CPU the servers need). Each round measures, for each server, in turn:
- latency: one connection, requests one after another: p50 and p99;
- throughput: `--connections` connections at once: requests per second.
Rounds alternate the servers and the figures are medians over rounds, so that a noisy
neighbour hurts both alike. Each server's CPU time per request (from `/proc`) is printed
too: on a shared machine, wall-clock p99 mostly measures when the scheduler runs the
process, CPU time what the process itself spends. Bounded: `--requests` per phase and `--max-seconds` per phase.

Goal (issue 6): the gateway adds under 2 ms at p99 and keeps at least half the minimal
app's throughput.

Usage: python bench/gateway_load.py [--requests 2000] [--rounds 3] [--connections 8]
                                     [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SUPPORT = REPO / "examples" / "support"
PROMPT = "support.prompts.triage_ticket"
GOAL_ADDED_P99_MS = 2.0
GOAL_THROUGHPUT_RATIO = 0.5
_LENGTH = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")


# ---- the minimal app ----------------------------------------------------------------------

def minimal_app(body: bytes):
    """An ASGI app that reads the request and answers `body` as JSON, nothing more."""
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    return app


def serve_minimal(port: int, body_file: Path) -> None:
    import uvicorn
    uvicorn.run(minimal_app(body_file.read_bytes()), host="127.0.0.1", port=port,
                log_level="warning", access_log=False, server_header=False, lifespan="off")


# ---- servers -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], port: int, log: Path) -> subprocess.Popen:
    """A server process, once it accepts connections."""
    out = log.open("w")
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[:4]} exited:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"{command[:4]} did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_inputs() -> dict:
    """The `given` of the first test of the prompt in examples/support."""
    sys.path.insert(0, str(REPO))
    from promptlang.serve import source
    program = source.load(str(SUPPORT)).program
    return next(t.given for t in program.tests if t.prompt == PROMPT)


# ---- the load ------------------------------------------------------------------------------

def request_bytes(port: int, body: bytes) -> bytes:
    return (f"POST /prompts/{PROMPT} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


async def _connection(port: int, request: bytes, count: int, deadline: float,
                      latencies: list[float], failures: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(count):
            if time.perf_counter() > deadline:
                break
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            found = _LENGTH.search(head)
            await reader.readexactly(int(found.group(1)) if found else 0)
            latencies.append(time.perf_counter() - start)
            if head[9:12] != b"200":
                failures.append(int(head[9:12]))
    finally:
        writer.close()


async def _load(port: int, request: bytes, total: int, connections: int,
                max_seconds: float) -> dict:
    latencies: list[float] = []
    failures: list[int] = []
    deadline = time.perf_counter() + max_seconds
    per = max(1, total // connections)
    began = time.perf_counter()
    await asyncio.gather(*(_connection(port, request, per, deadline, latencies, failures)
                           for _ in range(connections)))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"requests": len(ordered), "failures": len(failures), "seconds": elapsed,
            "rps": len(ordered) / elapsed if elapsed else 0.0,
            "p50_ms": _percentile(ordered, 0.50) * 1000, "p99_ms": _percentile(ordered, 0.99) * 1000}


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (Linux `/proc`; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(port: int, pid: int, request: bytes, requests: int, connections: int,
            max_seconds: float) -> dict:
    """One round on one server: warm-up, latency (one connection), throughput, and the
    server's CPU time per request over both (what the machine's other load does not
    change, unlike wall-clock figures)."""
    asyncio.run(_load(port, request, min(200, requests), 1, max_seconds))
    cpu = cpu_seconds(pid)
    latency = asyncio.run(_load(port, request, requests, 1, max_seconds))
    throughput = asyncio.run(_load(port, request, requests, connections, max_seconds))
    done = latency["requests"] + throughput["requests"]
    return {"p50_ms": latency["p50_ms"], "p99_ms": latency["p99_ms"], "rps": throughput["rps"],
            "throughput_p99_ms": throughput["p99_ms"],
            "cpu_ms_per_request": (cpu_seconds(pid) - cpu) * 1000 / done if done else 0.0,
            "requests": done, "failures": latency["failures"] + throughput["failures"]}


# ---- the run -------------------------------------------------------------------------------

def run(requests: int = 2000, rounds: int = 3, connections: int = 8,
        max_seconds: float = 30.0) -> dict:
    """Start both servers, measure them round by round, stop them; the figures."""
    payload = json.dumps(test_inputs()).encode()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        gateway_port, minimal_port = free_port(), free_port()
        gateway = start([sys.executable, "-m", "promptlang", "serve", str(SUPPORT), "--recordings",
                         str(SUPPORT / "tests" / "recordings"), "--port", str(gateway_port)],
                        gateway_port, tmp / "gateway.log")
        try:
            body = _first_answer(gateway_port, payload)
            (tmp / "body.json").write_bytes(body)
            minimal = start([sys.executable, str(Path(__file__).resolve()), "--serve-minimal",
                             str(minimal_port), str(tmp / "body.json")], minimal_port,
                            tmp / "minimal.log")
            try:
                samples = _rounds(rounds, {"gateway": (gateway_port, gateway.pid),
                                           "minimal": (minimal_port, minimal.pid)},
                                  payload, requests, connections, max_seconds)
            finally:
                stop(minimal)
        finally:
            stop(gateway)
    return summarise(samples, requests=requests, rounds=rounds, connections=connections)


def _first_answer(port: int, payload: bytes) -> bytes:
    """The gateway's response body (it must be a 200: the minimal app sends it back)."""
    async def once() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request_bytes(port, payload))
        head = await reader.readuntil(b"\r\n\r\n")
        body = await reader.readexactly(int(_LENGTH.search(head).group(1)))
        writer.close()
        if head[9:12] != b"200":
            raise SystemExit(f"the gateway answered {head[9:12].decode()}: {body.decode()}")
        return body
    return asyncio.run(once())


def _rounds(rounds: int, servers: dict[str, tuple[int, int]], payload: bytes, requests: int,
            connections: int, max_seconds: float) -> dict[str, list[dict]]:
    samples: dict[str, list[dict]] = {name: [] for name in servers}
    for index in range(rounds):
        order = list(servers) if index % 2 == 0 else list(reversed(servers))
        for name in order:
            port, pid = servers[name]
            samples[name].append(measure(port, pid, request_bytes(port, payload), requests,
                                         connections, max_seconds))
    return samples


def summarise(samples: dict[str, list[dict]], **settings) -> dict:
    medians = {name: {key: statistics.median(s[key] for s in runs)
                      for key in ("p50_ms", "p99_ms", "rps", "throughput_p99_ms",
                                  "cpu_ms_per_request")}
               for name, runs in samples.items()}
    gateway, minimal = medians["gateway"], medians["minimal"]
    added = gateway["p99_ms"] - minimal["p99_ms"]
    ratio = gateway["rps"] / minimal["rps"] if minimal["rps"] else 0.0
    failures = sum(s["failures"] for runs in samples.values() for s in runs)
    cpu_ratio = (minimal["cpu_ms_per_request"] / gateway["cpu_ms_per_request"]
                 if gateway["cpu_ms_per_request"] else 0.0)
    return {"settings": settings, "samples": samples, "medians": medians,
            "added_p99_ms": added, "throughput_ratio": ratio, "cpu_ratio": cpu_ratio,
            "failures": failures,
            "goal": {"added_p99_ms_under": GOAL_ADDED_P99_MS,
                     "throughput_ratio_at_least": GOAL_THROUGHPUT_RATIO,
                     "passed": failures == 0 and added < GOAL_ADDED_P99_MS
                     and ratio >= GOAL_THROUGHPUT_RATIO},
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}


def print_report(data: dict) -> None:
    settings = data["settings"]
    print(f"gateway load on loopback: POST /prompts/{PROMPT}, replayed answers; "
          f"{settings['requests']} requests per phase, {settings['rounds']} rounds, "
          f"{settings['connections']} connections for throughput; medians over rounds")
    print(f"{'server':<10}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>10}{'p99 ms @c':>11}"
          f"{'CPU ms/req':>12}")
    for name, m in data["medians"].items():
        print(f"{name:<10}{m['p50_ms']:>9.2f}{m['p99_ms']:>9.2f}{m['rps']:>10.0f}"
              f"{m['throughput_p99_ms']:>11.2f}{m['cpu_ms_per_request']:>12.3f}")
    goal = data["goal"]
    print(f"gateway adds {data['added_p99_ms']:.2f} ms at p99 (goal < {goal['added_p99_ms_under']}), "
          f"keeps {data['throughput_ratio']:.2f} of the minimal app's throughput "
          f"(goal >= {goal['throughput_ratio_at_least']}); failures {data['failures']}: "
          + ("goal met" if goal["passed"] else "goal NOT met"))
    print(f"by server CPU per request, the gateway has {data['cpu_ratio']:.2f} of the minimal "
          f"app's capacity (the wall-clock figures also carry the machine's other load)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per phase")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=30.0, help="bound of each phase")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--serve-minimal", nargs=2, metavar=("PORT", "BODY_FILE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_minimal:
        serve_minimal(int(args.serve_minimal[0]), Path(args.serve_minimal[1]))
        return
    data = run(args.requests, args.rounds, args.connections, args.max_seconds)
    print_report(data)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
