#!/usr/bin/env python3
"""The classic Python connections-per-second server, as found in countless CPS how-tos.

socketserver.ThreadingTCPServer, one thread per connection; the handler loops recv(1024) and
answers every non-empty chunk with b"200 Ok."; an empty recv is the peer's FIN, a
ConnectionResetError is the peer's RST (what an SO_LINGER {1,0} client sends).

    classic_server.py --host 127.0.0.1 --port 0 [--duration S] [--backlog N]

Prints "listening on HOST:PORT" on stderr once bound (PORT is the real one when 0 was asked).
On SIGTERM / SIGINT (or after --duration) prints one JSON line on stdout:
    {"accepted": .., "requests": .., "rst": .., "fin": .., "errors": ..}
and exits 0. Counters are kept under a lock, in the classic style.
"""

import argparse
import json
import signal
import socket
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
COUNTS = {"accepted": 0, "requests": 0, "rst": 0, "fin": 0, "errors": 0}
ACTIVE = [0]  # connections being handled now (not reported; used to drain at shutdown)


def count(key, n=1):
    with LOCK:
        COUNTS[key] += n


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        with LOCK:
            ACTIVE[0] += 1

    def finish(self):
        with LOCK:
            ACTIVE[0] -= 1

    def handle(self):
        sock = self.request
        try:
            while True:
                data = sock.recv(1024)
                if not data:
                    count("fin")
                    return
                sock.sendall(b"200 Ok.")
                count("requests")
        except ConnectionResetError:
            count("rst")
        except OSError:
            count("errors")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The socketserver default backlog is 5; with many client threads that overflows the accept
    # queue on loopback and dropped SYNs cost the client a 1 s retransmit, which would measure
    # the backlog rather than the server. Raised (configurable) to keep the comparison fair.
    request_queue_size = 1024

    def process_request(self, request, client_address):
        # Counted here, in the accepting thread, so the total is exact at shutdown time.
        count("accepted")
        super().process_request(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8888, help="0 = ephemeral")
    ap.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    ap.add_argument("--backlog", type=int, default=1024)
    args = ap.parse_args()

    Server.request_queue_size = args.backlog
    try:
        server = Server((args.host, args.port), Handler)
    except OSError as e:
        print(f"classic_server: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    host, port = server.server_address[:2]
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                               daemon=True)
    serving.start()
    print(f"listening on {host}:{port}", file=sys.stderr, flush=True)

    # Event.wait with a timeout wakes up periodically, so signals are handled promptly.
    waited = 0.0
    while not stop.is_set():
        stop.wait(0.2)
        waited += 0.2
        if args.duration is not None and waited >= args.duration:
            break

    server.shutdown()      # stops accepting; handler threads are daemons
    server.server_close()
    # Give connections already ending (an RST or FIN in flight) up to 1 s to be counted, so the
    # totals are exact after a client has finished; idle connections are not waited for longer.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        with LOCK:
            if ACTIVE[0] == 0:
                break
        time.sleep(0.01)
    with LOCK:
        line = json.dumps(COUNTS)
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
