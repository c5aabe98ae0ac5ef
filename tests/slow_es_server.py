"""A fake slow Elasticsearch on loopback for the request-slot bound (issue 24).

It is NOT Elasticsearch: every request gets the product header and a small `GET /`
answer, but only once `release` is set (or `hold_s` has passed, when given), so a
test can keep requests in flight for as long as it needs without timing anything.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INFO = {"name": "slow", "cluster_name": "fake", "version": {"number": "8.15.3"},
        "tagline": "You Know, for Search"}


class SlowServer:
    def __init__(self, hold_s=None):
        self.release = threading.Event()
        self.hold_s = hold_s
        self.reached = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with server._lock:
                    server.reached += 1
                server.release.wait(server.hold_s if server.hold_s is not None else 30)
                body = json.dumps(INFO).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("X-Elastic-Product", "Elasticsearch")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (its timeout): nothing to answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
