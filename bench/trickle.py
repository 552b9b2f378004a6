# Trickles request bodies over many connections at once (docs/hardening.md):
#   python3 bench/trickle.py CONNECTIONS PORT [SECONDS_PER_BYTE]
import asyncio, time, sys, urllib.request
N, PORT = int(sys.argv[1]), int(sys.argv[2])
async def trickle(results):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", PORT)
        w.write(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        await w.drain()
        t0 = time.monotonic()
        async def feed():
            for _ in range(600):
                await asyncio.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 0.1)
                w.write(b"a"); await w.drain()
        f = asyncio.create_task(feed())
        line = await asyncio.wait_for(r.readline(), 120)
        f.cancel()
        results.append((line.split(b" ")[1].decode() if line else "closed", time.monotonic() - t0))
        w.close()
    except Exception as e:
        results.append((type(e).__name__, 0))
async def main():
    results = []
    start = time.monotonic()
    tasks = [asyncio.create_task(trickle(results)) for _ in range(N)]
    await asyncio.sleep(1.5)
    t = time.monotonic()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/v1/users/me", timeout=5)
    except Exception as e:
        print("probe /v1/users/me during flood:", getattr(e, "code", e), f"{(time.monotonic()-t)*1000:.0f} ms")
    t = time.monotonic()
    print("probe /health/live during flood:", urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health/live", timeout=5).status, f"{(time.monotonic()-t)*1000:.0f} ms")
    await asyncio.gather(*tasks)
    from collections import Counter
    c = Counter(s for s, _ in results)
    print("answers:", dict(c))
    t408 = [d for s, d in results if s == "408"]
    if t408: print(f"408 after {min(t408):.1f}..{max(t408):.1f} s")
    print(f"all answered within {time.monotonic()-start:.1f} s")
asyncio.run(main())
