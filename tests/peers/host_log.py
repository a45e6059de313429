#!/usr/bin/env python3
"""An HTTP/1.1 peer that writes the Host field of every request it gets to a log, one a line.

Usage: host_log.py LOG [PORT]. Listens on 127.0.0.1 (PORT, default 0 = any) and prints
"listening on 127.0.0.1:PORT" on stderr. Every request head (any method) gets
"HTTP/1.1 200 OK" with the body "hi", on a keep-alive connection, a thread each.
"""
import socket
import sys
import threading

log_lock = threading.Lock()


def serve(conn, log_path):
    buf = b""
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                host = ""
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"host":
                        host = value.strip().decode("latin-1")
                with log_lock, open(log_path, "a") as log:
                    log.write(host + "\n")
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")


def main():
    log_path = sys.argv[1]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0))
    s.listen(1024)
    print(f"listening on 127.0.0.1:{s.getsockname()[1]}", file=sys.stderr, flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, log_path), daemon=True).start()


main()
