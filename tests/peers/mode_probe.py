#!/usr/bin/env python3
"""A plain python3 socket client for the server modes: sends chunks, reads the replies, then
half-closes and reads to the end. Prints one JSON line:
{"replies": ["...", ...], "rest": "...", "eof": true|false}

  mode_probe.py --host 127.0.0.1 --port P [--chunk TEXT]... [--expect-reply]
Each chunk is sent and, unless the mode sends nothing back (--no-reply), its reply is read until
it is as long as expected (--reply-len N, for echo-like modes: len(chunk) + prefix) or 2 s pass.
"""
import argparse
import json
import socket
import time


def read_some(sock, want, limit=2.0):
    data = b""
    end = time.monotonic() + limit
    while len(data) < want and time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--chunk", action="append", default=[])
    ap.add_argument("--extra", type=int, default=0, help="reply bytes beyond the chunk's own")
    ap.add_argument("--no-reply", action="store_true")
    args = ap.parse_args()
    sock = socket.create_connection((args.host, args.port), timeout=5)
    replies = []
    for chunk in args.chunk:
        sock.sendall(chunk.encode())
        if args.no_reply:
            continue
        replies.append(read_some(sock, len(chunk) + args.extra).decode("latin-1"))
    sock.shutdown(socket.SHUT_WR)
    rest = b""
    eof = False
    sock.settimeout(3)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                eof = True
                break
            rest += chunk
    except socket.timeout:
        pass
    sock.close()
    print(json.dumps({"replies": replies, "rest": rest.decode("latin-1"), "eof": eof}))


if __name__ == "__main__":
    main()
