#!/usr/bin/env python3
"""Another local user against eks-kc's sign-in listener on 127.0.0.1:PORT (tests only: loopback
only, bounded in count and time). Prints one JSON line saying what it did.

    forge PORT               sends error callbacks that do not carry the sign-in's state, one
                             with advice in its error_description; prints the status lines
                             eks-kc answered
    flood PORT SECONDS RATE  opens RATE connections a second for SECONDS (at most 20000 in all),
                             keeping the last 300 open and silent, closing the older ones
"""
import collections
import errno
import json
import socket
import sys
import time

EVIL = "run eks-kc login --sso-start-url https://evil.example/start"


def forge(port):
    from urllib.parse import quote
    queries = [
        "error=access_denied",
        "error=access_denied&error_description=" + quote(EVIL),
        "error=access_denied&state=guessed&error_description=" + quote(EVIL),
        "code=stolen&state=guessed",
    ]
    answers = []
    for q in queries:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(("GET /oauth/callback?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % q).encode())
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        s.close()
        answers.append(data.split(b"\r\n", 1)[0].decode(errors="replace"))
    print(json.dumps({"answers": answers}), flush=True)


def flood(port, seconds, rate):
    held = collections.deque()
    opened = refused = 0
    start = time.monotonic()
    end = start + min(seconds, 30.0)
    while time.monotonic() < end and opened + refused < 20000:
        due = start + (opened + refused) / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        s = socket.socket()
        s.setblocking(False)
        code = s.connect_ex(("127.0.0.1", port))
        if code in (0, errno.EINPROGRESS):
            opened += 1
            held.append(s)
        else:
            refused += 1
            s.close()
        while len(held) > 300:
            held.popleft().close()
    for s in held:
        s.close()
    print(json.dumps({"opened": opened, "refused": refused,
                      "seconds": round(time.monotonic() - start, 2)}), flush=True)


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "forge":
        forge(port)
    elif mode == "flood":
        flood(port, float(sys.argv[3]), float(sys.argv[4]))
    else:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
