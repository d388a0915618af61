#!/usr/bin/python3
"""gw-attack.py - hostile clients against a running mlops-deploy gateway on
loopback, to measure what issue 11 asked: how long a normal request takes
while many slow connections are open, and the gateway's memory while many
connections each send a large body slowly. Never a test: run it by hand.

  gw-attack.py slow   --port P [--conns 10100] [--seconds 40] [--src 127.0.0.2]
  gw-attack.py bodies --port P --pid PID [--conns 500] [--size 4194304]

slow: opens --conns connections from --src (a loopback address other than
127.0.0.1, so that the per-client cap counts them apart from the normal
client) and sends one byte of a request's headers on each every 5 s,
reopening once a second those the gateway closed. Meanwhile, from 127.0.0.1, it times one
POST of a CSV row to /endpoints/ENDPOINT/invocations each second, and
prints each time and their median (a request not answered within 60 s
counts as 60 s).

bodies: opens --conns connections, each declaring a --size body and
sending all of it but the last byte at 64 KB per 10 ms per connection,
then holding. It samples the gateway's RSS (VmRSS of --pid) every 0.2 s
and prints the largest, and how many connections got an answer (503).

Everything stays on 127.0.0.0/8, and stops after --seconds. Raise the
open file limit first (ulimit -n 20000) for the gateway and this script.
"""
import argparse
import resource
import selectors
import socket
import statistics
import sys
import time

HEAD = (b"POST /endpoints/%s/invocations HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n")


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def open_conn(port, src):
    """A non-blocking connection under way, or None (no port left)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((src, 0))
        s.setblocking(False)
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        return None
    return s


def normal_request(port, endpoint, row, limit=60.0):
    t0 = time.monotonic()
    body = row.encode()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=limit)
        s.sendall(HEAD % (endpoint.encode(), len(body)) + body)
        got = b""
        while b"\r\n\r\n" not in got:
            b = s.recv(4096)
            if not b:
                break
            got += b
        s.close()
        ok = got.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    return min(time.monotonic() - t0, limit), ok


def slow(a):
    raise_nofile()
    head = HEAD % (a.endpoint.encode(), 10)
    conns = {}          # socket -> bytes sent
    sel = selectors.DefaultSelector()
    end = time.monotonic() + a.seconds
    opened, closed = 0, a.conns
    times = []
    next_tick, next_byte = 0, time.monotonic() + 5
    next_probe = time.monotonic() + a.warmup
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            try:
                if s.recv(4096):
                    continue
            except BlockingIOError:
                continue
            except OSError:
                pass
            sel.unregister(s)
            s.close()
            del conns[s]
            closed += 1
        now = time.monotonic()
        if now >= next_tick:
            for _ in range(closed):
                n = open_conn(a.port, a.src)
                if n:
                    conns[n] = 0
                    sel.register(n, selectors.EVENT_READ)
                    closed -= 1
                    opened += 1
            next_tick = now + 1
        if now >= next_byte:
            for s in conns:
                i = conns[s]
                if i < len(head) - 1:
                    try:
                        s.send(head[i:i + 1])
                        conns[s] = i + 1
                    except OSError:
                        pass
            next_byte = now + 5
        if now >= next_probe:
            t, ok = normal_request(a.port, a.endpoint, a.row)
            times.append(t)
            print("normal request: %.4f s %s (%d slow open, %d opened)" %
                  (t, "200" if ok else "FAILED", len(conns), opened),
                  flush=True)
            next_probe = time.monotonic() + 1
    for s in conns:
        s.close()
    if times:
        print("median %.4f s over %d requests, max %.4f s" %
              (statistics.median(times), len(times), max(times)))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bodies(a):
    raise_nofile()
    head = HEAD % (a.endpoint.encode(), a.size)
    chunk = b"1" * 65536
    conns = {}          # socket -> body bytes sent (-1: header not sent)
    answered = 0
    for _ in range(a.conns):
        s = socket.create_connection(("127.0.0.1", a.port))
        s.sendall(head)
        s.setblocking(False)
        conns[s] = 0
    start_rss = peak = rss_kb(a.pid)
    end = time.monotonic() + a.seconds
    next_rss = 0
    while time.monotonic() < end:
        for s in list(conns):
            try:
                if s.recv(4096):
                    answered += 1
                    s.close()
                    del conns[s]
                    continue
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                del conns[s]
                continue
            left = a.size - 1 - conns[s]
            if left > 0:
                try:
                    conns[s] += s.send(chunk[:min(left, len(chunk))])
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    s.close()
                    del conns[s]
        if time.monotonic() >= next_rss:
            peak = max(peak, rss_kb(a.pid))
            next_rss = time.monotonic() + 0.2
        time.sleep(0.01)
    held = sum(1 for v in conns.values() if v >= a.size - 1)
    for s in conns:
        s.close()
    print("RSS %.0f MB before, peak %.0f MB; %d connections answered "
          "(503), %d holding a full body" %
          (start_rss / 1024, peak / 1024, answered, held))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["slow", "bodies"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--endpoint", default="churn")
    p.add_argument("--row", default="1,2,3,4,5")
    p.add_argument("--conns", type=int)
    p.add_argument("--seconds", type=float, default=40)
    p.add_argument("--warmup", type=float, default=15,
                   help="slow: seconds before the first normal request")
    p.add_argument("--src", default="127.0.0.2")
    p.add_argument("--size", type=int, default=4 << 20)
    p.add_argument("--pid", type=int)
    a = p.parse_args()
    if not a.src.startswith("127."):
        sys.exit("gw-attack.py: --src must be a loopback address")
    if a.mode == "slow":
        a.conns = min(a.conns or 10100, 20000)
        slow(a)
    else:
        if not a.pid:
            sys.exit("gw-attack.py: bodies needs --pid")
        a.conns = min(a.conns or 500, 2000)
        bodies(a)


if __name__ == "__main__":
    main()
