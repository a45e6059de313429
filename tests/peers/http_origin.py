#!/usr/bin/env python3
"""An HTTP/1.1 origin for the proxy tests, on 127.0.0.1 (port from argv, 0 = any).

Prints "listening on 127.0.0.1:PORT" on stderr, then serves keep-alive connections, a thread each:
  /headers      the request head as it arrived (request line and fields), as the body
  /echo         the request body (Content-Length or chunked) back, as a chunked response
  /big?bytes=N  N bytes of a repeating pattern, with Content-Length, as fast as the socket takes
  /reset        Content-Length 1 MiB, half of it, then a reset (SO_LINGER {1,0})
  /hang         reads the request, never answers
  /close        a close-delimited body "until-close body"
  /closereset   a close-delimited body: 64 KiB, then a reset instead of the close
  /port         this origin's port, as the body
  /once         "hi" for the first request on a connection; on a later one, a close, no answer
  /early        "early" 0.3 s after the head, the request body unread, then a close 1 s later
  /interim?n=N  N "102 Processing" heads, then "hi"
  /raw?hex=H    the bytes H (hex) as they are, whatever they are; the connection stays open
With a second argument HEX, every request gets those bytes instead, whatever its path.
  anything else "hi" with Content-Length
"""
import socket
import struct
import sys
import threading

PATTERN = bytes(range(256)) * 4096  # 1 MiB
FIXED = bytes.fromhex(sys.argv[2]) if len(sys.argv) > 2 else None


def read_head(f):
    line = f.readline()
    if not line:
        return None, None, []
    fields = []
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        name, value = h.decode("latin-1").split(":", 1)
        fields.append((name.strip(), value.strip()))
    return line, {k.lower(): v for k, v in fields}, fields


def read_body(f, hdrs):
    if hdrs.get("transfer-encoding", "").lower().endswith("chunked"):
        body = bytearray()
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(body)
            body += f.read(size)
            f.readline()
    return f.read(int(hdrs.get("content-length", "0")))


def send_big(c, n):
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
    view = memoryview(PATTERN)
    while n > 0:
        k = min(n, len(PATTERN))
        c.sendall(view[:k])
        n -= k


def handle(c, port):
    f = c.makefile("rb")
    served = 0
    try:
        while True:
            line, hdrs, fields = read_head(f)
            if line is None:
                return
            target = line.split()[1].decode()
            path, _, query = target.partition("?")
            if path == "/early":
                threading.Event().wait(0.3)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly")
                threading.Event().wait(1)
                return
            body = read_body(f, hdrs)
            served += 1
            if FIXED is not None:
                c.sendall(FIXED)
                continue
            if path == "/once" and served > 1:
                return
            if path == "/port":
                out = str(port).encode()
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(out) + out)
            elif path == "/interim":
                c.sendall(b"HTTP/1.1 102 Processing\r\n\r\n" * int(query.split("=", 1)[1]))
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
            elif path == "/raw":
                c.sendall(bytes.fromhex(query.split("=", 1)[1]))
            elif path == "/headers":
                out = line + b"".join(f"{k}: {v}\r\n".encode() for k, v in fields)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(out) + out)
            elif path == "/echo":
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                for i in range(0, len(body), 65536):
                    part = body[i:i + 65536]
                    c.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
                c.sendall(b"0\r\n\r\n")
            elif path == "/big":
                send_big(c, int(query.split("=", 1)[1]))
            elif path == "/reset":
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n" + PATTERN[:524288])
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            elif path == "/hang":
                threading.Event().wait(60)
                return
            elif path == "/closereset":
                c.sendall(b"HTTP/1.1 200 OK\r\n\r\n" + PATTERN[:65536])
                threading.Event().wait(0.2)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            elif path == "/close":
                c.sendall(b"HTTP/1.1 200 OK\r\n\r\nuntil-close body")
                return
            else:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
    except (OSError, ValueError):
        pass
    finally:
        f.close()
        c.close()


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    s.listen(128)
    port = s.getsockname()[1]
    print(f"listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, port), daemon=True).start()


if __name__ == "__main__":
    main()
