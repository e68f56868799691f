# A local HTTP endpoint for webhook tests (Python's http.server in a thread): records every
# POST (path, headers, body, parsed JSON) and answers as the test tells it, per path:
#   /ok...      200
#   /fail...    500
#   /hang...    never answers (holds the connection until the receiver stops)
#   /flaky<N>/  500 for the first N requests to that path, then 200
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, port=0):
        self.lock = threading.Lock()
        self.requests = []  # dicts: path, headers, body, json
        self.counts = {}
        self._stop = threading.Event()
        recv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                with recv.lock:
                    recv.counts[self.path] = recv.counts.get(self.path, 0) + 1
                    seen = recv.counts[self.path]
                    recv.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body, "json": doc, "t": time.monotonic()})
                if self.path.startswith("/hang"):
                    recv._stop.wait(60)
                    return
                status = 200
                if self.path.startswith("/fail"):
                    status = 500
                elif self.path.startswith("/flaky"):
                    need = int(self.path[6:].split("/")[0])
                    status = 500 if seen <= need else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def got(self, path=None):
        with self.lock:
            return [r for r in self.requests if path is None or r["path"] == path]

    def keys(self, path=None):
        return [r["json"]["key"] for r in self.got(path) if r["json"]]

    def stop(self):
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


def signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
