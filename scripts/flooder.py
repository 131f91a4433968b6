#!/usr/bin/env python3
"""One chat255 client that sends as fast as it can (for scripts/flood-bench.sh): it connects as
ID, then writes frames addressed to itself in 1 MB writes, and reads and discards what comes
back, until SECONDS have passed. Prints how many frames it wrote."""
import socket
import sys
import threading
import time

port, name, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])


def frame(dst, src, body):
    return dst.ljust(8).encode() + src.ljust(8).encode() + body.encode() + b"\0"


sock = socket.create_connection(("127.0.0.1", port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sock.sendall(frame("-SERVER-", name, "Connect " + name))
done = False


def drain():
    while not done:
        try:
            if not sock.recv(1 << 20):
                return
        except OSError:
            return


threading.Thread(target=drain, daemon=True).start()
one = frame(name, name, "x" * 32)
chunk = one * ((1 << 20) // len(one))
per_chunk = (1 << 20) // len(one)
sent = 0
end = time.time() + seconds
sock.settimeout(0.2)
while time.time() < end:
    try:
        sock.sendall(chunk)
        sent += per_chunk
    except socket.timeout:
        continue  # the server stopped reading from us: that is the point
    except OSError:
        break
done = True
print(f"flooder wrote {sent} frames in {seconds} s")
