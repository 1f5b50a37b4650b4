"""The HTTP server every test peer in this directory runs: threaded, on 127.0.0.1, on a free
port it announces as "READY <port>" on stdout, and quiet about clients that hang up (a killed
eks-kc is a normal event in these tests)."""
from http.server import ThreadingHTTPServer


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # read by listen() in the constructor

    def handle_error(self, request, client_address):
        pass


def serve(handler, wrap_socket=None):
    """Serves `handler` forever; `wrap_socket` (e.g. TLS) is applied before announcing."""
    server = QuietServer(("127.0.0.1", 0), handler)
    if wrap_socket is not None:
        server.socket = wrap_socket(server.socket)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()
