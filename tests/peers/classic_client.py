#!/usr/bin/env python3
"""The classic Python connections-per-second client, as found in countless CPS how-tos.

N threads, each looping: socket, connect, SO_LINGER {1,0} (close sends an RST, no TIME_WAIT),
send b"Get.", recv(1024), close.

    classic_client.py --host 127.0.0.1 --port P [--threads 8] (--count N | --duration S)

--count is the total number of connections, split exactly across the threads; without either,
runs for 10 s. Socket timeouts are 5 s. At the end prints one JSON line on stdout:
    {"completed": .., "errors": {"ExceptionClass": n, ..}, "elapsed": s, "cps": ..}
A connection is completed when a non-empty reply was received; an empty reply counts as the
error "EmptyReply". Exits 0 after a run (1 when nothing at all completed, 2 on usage errors).
"""

import argparse
import errno
import json
import socket
import struct
import sys
import threading
import time

LINGER_RST = struct.pack("ii", 1, 0)
TIMEOUT = 5.0


def error_name(exc):
    name = type(exc).__name__
    if type(exc) is OSError and exc.errno:
        # A bare OSError says little; add the errno name (e.g. EADDRNOTAVAIL).
        name += ":" + errno.errorcode.get(exc.errno, str(exc.errno))
    return name


def worker(host, port, count, deadline, result):
    completed = 0
    errors = {}
    n = 0
    while True:
        if count is not None:
            if n >= count:
                break
        elif time.monotonic() >= deadline:
            break
        n += 1
        s = None
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(TIMEOUT)
            s.connect((host, port))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
            s.sendall(b"Get.")
            data = s.recv(1024)
            if data:
                completed += 1
            else:
                errors["EmptyReply"] = errors.get("EmptyReply", 0) + 1
        except Exception as e:  # noqa: BLE001 - counted by class, the classic way
            key = error_name(e)
            errors[key] = errors.get(key, 0) + 1
        finally:
            if s is not None:
                s.close()
    result["completed"] = completed
    result["errors"] = errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--threads", type=int, default=8)
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--count", type=int, help="total connections, split exactly")
    group.add_argument("--duration", type=float, help="seconds to run")
    args = ap.parse_args()
    if args.threads < 1:
        ap.error("--threads must be >= 1")
    if args.count is not None and args.count < 0:
        ap.error("--count must be >= 0")
    if args.count is None and args.duration is None:
        args.duration = 10.0

    threads, results = [], []
    start = time.monotonic()
    deadline = start + (args.duration or 0.0)
    for i in range(args.threads):
        share = None
        if args.count is not None:
            share = args.count // args.threads + (1 if i < args.count % args.threads else 0)
        res = {"completed": 0, "errors": {}}
        results.append(res)
        t = threading.Thread(target=worker, args=(args.host, args.port, share, deadline, res),
                             daemon=True)
        threads.append(t)
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start

    completed = sum(r["completed"] for r in results)
    errors = {}
    for r in results:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    print(json.dumps({
        "completed": completed,
        "errors": errors,
        "elapsed": round(elapsed, 6),
        "cps": round(completed / elapsed, 2) if elapsed > 0 else 0.0,
    }), flush=True)
    return 0 if completed > 0 or not errors else 1


if __name__ == "__main__":
    sys.exit(main())
