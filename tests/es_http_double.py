"""`VersionedIndexDouble` served over HTTP on loopback, for a process of its own.

It is NOT Elasticsearch: it answers only the requests the outbox consumer makes (the
alias, `_mget`, `_bulk`, and `GET /`) by calling the in-process double
(tests/es_doubles.py), with the product header the client checks, so a test can watch a
real job runner process push live beds. Anything else is a 404.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

INFO = {"name": "double", "cluster_name": "double", "version": {"number": "8.15.0"},
        "tagline": "You Know, for Search"}


class HttpIndexDouble:
    def __init__(self, double):
        self.double, self.lock = double, threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self):
                server.answer(self, "HEAD")

            def do_GET(self):
                server.answer(self, "GET")

            def do_POST(self):
                server.answer(self, "POST")

            def do_PUT(self):
                server.answer(self, "PUT")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, method, path, body):
        parts = [p for p in path.split("/") if p]
        if not parts:
            return 200, INFO
        if parts[0] == "_alias" and len(parts) == 2:
            if not self.double.indices_exists_alias(parts[1]):
                return 404, {}
            return 200, self.double.indices_get_alias(parts[1])
        if len(parts) == 2 and parts[1] == "_mget":
            return 200, self.double.mget(parts[0], json.loads(body)["ids"])
        if parts == ["_bulk"]:
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            return 200, self.double.bulk(lines)
        return 404, {"error": {"type": "not_served_by_the_double", "reason": path}}

    def answer(self, handler, method):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            status, payload = self.route(method, urlsplit(handler.path).path, body)
        data = b"" if method == "HEAD" else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("X-Elastic-Product", "Elasticsearch")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
