"""HTTP load generator for bench/api.py, run as its own process (so that it never shares an
event loop or a GIL with the server it measures).

    python bench/apiclient.py --url http://127.0.0.1:8091/graphql --bodies bodies.jsonl \
        --concurrency 8 --duration 20 --warmup 16 --max-requests 5000 --out result.json

``bodies.jsonl`` holds one JSON request body per line; the clients take them in order (one
shared position, wrapping around), so two servers given the same file get the same requests in
the same order. The first --warmup requests are sent but not measured. Then each of the
--concurrency clients sends its next request as soon as its previous answer arrived, until
--duration seconds have passed and at least --min-requests were sent (but no request starts
after --max-duration seconds), or --max-requests were sent. A request counts as an error
when the status is not 200 or the body has a top-level "errors" key.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import aiohttp


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    bodies = [line.encode() for line in Path(args.bodies).read_text().splitlines() if line.strip()]
    position = args.start
    latencies: list[float] = []
    errors: list[str] = []
    sizes: list[int] = []
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    connector = aiohttp.TCPConnector(limit=args.concurrency, force_close=False)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}

    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as session:

        async def one(body: bytes) -> tuple[float, str | None, int]:
            t0 = time.perf_counter()
            try:
                async with session.post(args.url, data=body) as resp:
                    payload = await resp.read()
                    status = resp.status
            except (TimeoutError, aiohttp.ClientError) as exc:
                return time.perf_counter() - t0, f"{type(exc).__name__}: {exc}", 0
            elapsed = time.perf_counter() - t0
            if status != 200:
                return elapsed, f"HTTP {status}: {payload[:300]!r}", len(payload)
            try:
                answer = json.loads(payload)
            except ValueError:
                return elapsed, f"not JSON: {payload[:300]!r}", len(payload)
            if answer.get("errors") or not answer.get("data"):
                return elapsed, payload[:300].decode(errors="replace"), len(payload)
            return elapsed, None, len(payload)

        async def warm() -> None:
            nonlocal position
            while position < args.start + args.warmup:
                body = bodies[position % len(bodies)]
                position += 1
                await one(body)

        await asyncio.gather(*(warm() for _ in range(args.concurrency)))
        started = time.perf_counter()
        deadline = started + args.duration
        cap = started + max(args.duration, args.max_duration)
        last_done = started
        sent = 0

        def more() -> bool:
            now = time.perf_counter()
            if now >= cap or sent >= args.max_requests:
                return False
            return now < deadline or sent < args.min_requests

        async def client() -> None:
            nonlocal position, last_done, sent
            while more():
                body = bodies[position % len(bodies)]
                position += 1
                sent += 1
                elapsed, error, size = await one(body)
                last_done = time.perf_counter()
                if error is None:
                    latencies.append(elapsed * 1000)
                    sizes.append(size)
                else:
                    errors.append(error)

        await asyncio.gather(*(client() for _ in range(args.concurrency)))
        window = max(1e-9, last_done - started)
    return {
        "concurrency": args.concurrency, "requests": len(latencies), "errors": len(errors),
        "error_samples": errors[:3], "elapsed_s": window, "rps": len(latencies) / window,
        "latencies_ms": latencies, "mean_bytes": (sum(sizes) / len(sizes)) if sizes else 0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--bodies", required=True)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--max-requests", type=int, default=5000)
    ap.add_argument("--start", type=int, default=0, help="the line of --bodies to begin with (warm-up included)")
    ap.add_argument("--min-requests", type=int, default=0, help="go on after --duration until this many were sent")
    ap.add_argument("--max-duration", type=float, default=120.0, help="but never start one after this many seconds")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    result = asyncio.run(main_async(args))
    Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
