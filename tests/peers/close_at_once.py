#!/usr/bin/env python3
"""A peer that accepts every connection and closes it at once (an orderly FIN).

Listens on 127.0.0.1 (port from argv, 0 = any) and prints "listening on 127.0.0.1:PORT" on
stderr. For cc: every connection it opens is lost during the hold, none survives.
"""
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
s.listen(4096)
print(f"listening on 127.0.0.1:{s.getsockname()[1]}", file=sys.stderr, flush=True)
while True:
    c, _ = s.accept()
    c.close()
