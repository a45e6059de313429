#!/usr/bin/env python3
"""A misbehaving echo peer for the interactive client's tests.

  echo_server.py --host 127.0.0.1 --port 0 --mode close-after-first|reset-after-first

Serves one connection at a time: echoes the first chunk, then closes in order
(close-after-first) or with an RST (reset-after-first). Prints `listening on HOST:PORT` on
stderr once bound; stops on SIGTERM.
"""
import argparse
import signal
import socket
import struct
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", choices=["close-after-first", "reset-after-first"], required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.host, args.port))
    srv.listen(16)
    print(f"listening on {args.host}:{srv.getsockname()[1]}", file=sys.stderr, flush=True)
    while True:
        conn, _ = srv.accept()
        data = conn.recv(65536)
        if data:
            conn.sendall(data)
        if args.mode == "reset-after-first":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()


if __name__ == "__main__":
    main()
