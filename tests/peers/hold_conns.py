#!/usr/bin/env python3
"""Opens N TCP connections to HOST:PORT and holds them idle until SIGTERM/SIGINT.

  hold_conns.py --host 127.0.0.1 --port P --count N [--source-from 2]

Connections are spread over source addresses 127.0.0.S.. (S = --source-from, one address per
20,000 connections) so a run never needs more local ports than one address has. Prints
`held N` (and `failed K` if some could not connect) on stdout once all attempts are done.
"""
import argparse
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--source-from", type=int, default=2)
    args = ap.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    socks, failed = [], 0
    for i in range(args.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((f"127.0.0.{args.source_from + i // 20000}", 0))
        s.settimeout(5)
        try:
            s.connect((args.host, args.port))
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    print(f"held {len(socks)}" + (f" failed {failed}" if failed else ""), flush=True)
    deadline = time.monotonic() + 600
    while not stop and time.monotonic() < deadline:
        time.sleep(0.05)
    for s in socks:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
