#!/usr/bin/env python3
"""An echo server that delays every Nth response (counted over all connections) by D seconds:
the stalled server of the open-loop test.

  slow_every_nth.py --port 0 --every 100 --delay 0.2
Prints `listening on HOST:PORT` on stderr once bound; stops on SIGTERM.
"""
import argparse
import signal
import socketserver
import sys
import threading
import time

lock = threading.Lock()
count = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--delay", type=float, default=0.2)
    args = ap.parse_args()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            global count
            while True:
                try:
                    data = self.request.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                with lock:
                    count += 1
                    slow = count % args.every == 0
                if slow:
                    time.sleep(args.delay)
                try:
                    self.request.sendall(data)
                except OSError:
                    return

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server((args.host, args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on {args.host}:{srv.server_address[1]}", file=sys.stderr, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
