#!/usr/bin/env python3
"""A corporate network in one process: an HTTP proxy (CONNECT only, as HTTPS clients use it)
that terminates TLS with a certificate of a private CA, as TLS-inspecting proxies do, and
forwards the decrypted requests to one plain-HTTP upstream (moto).

    tls_proxy.py --upstream http://127.0.0.1:PORT --dir DIR --names a.test,b.test [--log FILE]

Writes DIR/ca.crt (the private CA a client must trust: AWS_CA_BUNDLE) and serves a leaf
certificate for --names, signed by it. Every CONNECT target is appended to --log as a JSON
line {"connect": "host:port"}, so a test can tell which calls went through the proxy; a name
outside --names is refused (502), so nothing reaches a real host. Prints "READY <port>".
"""
import argparse
import json
import socket
import ssl
import sys
import threading
import urllib.parse

from fake_apiserver import make_certificate



def make_certs(directory, names):
    """The private CA (DIR/ca.crt) and a certificate it signed for `names`, as a TLS context."""
    cert, key = make_certificate(directory, dns_names=names)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client, ctx, upstream, names, log, log_lock):
    try:
        client.settimeout(30)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        target = parts[1]
        if log:
            with log_lock, open(log, "a") as f:
                f.write(json.dumps({"connect": target}) + "\n")
        if target.rsplit(":", 1)[0] not in names:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        tls = ctx.wrap_socket(client, server_side=True)
        tls.settimeout(None)
        up = socket.create_connection(upstream)
        threading.Thread(target=pump, args=(up, tls), daemon=True).start()
        pump(tls, up)
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            client.close()
        except OSError:
            pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--names", required=True)
    p.add_argument("--log")
    args = p.parse_args()
    names = args.names.split(",")
    ctx = make_certs(args.dir, names)
    u = urllib.parse.urlsplit(args.upstream)
    upstream = (u.hostname, u.port)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(256)
    print(f"READY {server.getsockname()[1]}", flush=True)
    log_lock = threading.Lock()
    while True:
        client, _ = server.accept()
        threading.Thread(target=handle, args=(client, ctx, upstream, names, args.log, log_lock),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
