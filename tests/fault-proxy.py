#!/usr/bin/env python3
"""A fault-injecting HTTP proxy between xbuild and a test registry (tests only).

  fault-proxy.py --port P --upstream 127.0.0.1:REGPORT [--rule RULE]... [--log FILE]
                 [--upstream-auth USER:PASS]

RULE is "METHOD PATH_REGEX ACTION COUNT" (METHOD may be *; COUNT -1 = forever):
  500, 502, 503, ...  answer that status with a registry-style error body
  429                 answer 429 Too Many Requests with Retry-After: 1
  reset               read half of the request body, then reset the connection
  redirect            answer 307 to the same path on http://localhost:PORT (another origin);
                      that request is forwarded with --upstream-auth, never the client's
  relative            forward, and make the Location header of the answer relative
  cut                 forward, but send only half of the answer's body, then reset
  delay:S             forward, then wait S seconds (a fraction is fine) before answering
  gather:N:S          hold each matching request until N requests of this rule are in flight
                      at once (from then on none is held) or it has waited S seconds, then
                      forward: proves that N transfers overlap without depending on timing
Requests matching a delay/gather rule count as in flight from their arrival to the end of their
answer; their log lines carry "inflight", the number in flight (themselves included) when they
arrived, so the largest "inflight" is the most that were ever in flight at once.
Every request is logged to --log as one JSON line: method, path, host, whether the client sent
Authorization, and the action taken. With --bytes-log FILE every forwarded exchange also adds a
line there once answered: method, path, status, "sent" (request body bytes) and "received"
(response body bytes), to measure what a client transferred.
"""
import argparse
import base64
import http.client
import json
import re
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
       "proxy-authorization", "proxy-authenticate"}


class Rule:
    def __init__(self, spec):
        parts = spec.split()
        if len(parts) != 4:
            raise SystemExit("bad rule %r (want METHOD REGEX ACTION COUNT)" % spec)
        self.method, self.regex, self.action = parts[0], re.compile(parts[1]), parts[2]
        self.left = int(parts[3])
        self.cond = threading.Condition()
        self.inflight = 0
        self.opened = False
        if self.action.startswith("delay:"):
            self.delay = float(self.action.split(":")[1])
        elif self.action.startswith("gather:"):
            _, n, secs = self.action.split(":")
            self.gather, self.delay = int(n), float(secs)

    def enter(self):
        """Counts the request in; returns the number in flight (itself included)."""
        with self.cond:
            self.inflight += 1
            n = self.inflight
            if self.action.startswith("gather:") and n >= self.gather:
                self.opened = True
                self.cond.notify_all()
            return n

    def hold(self):
        with self.cond:
            if self.action.startswith("delay:"):
                self.cond.wait(self.delay)  # nothing notifies: a plain sleep
            else:
                self.cond.wait_for(lambda: self.opened, self.delay)

    def leave(self):
        with self.cond:
            self.inflight -= 1

    def take(self, method, path):
        if self.method != "*" and self.method != method:
            return False
        if not self.regex.search(path):
            return False
        if self.left == 0:
            return False
        if self.left > 0:
            self.left -= 1
        return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def log_req(self, action, inflight=None):
        st = self.server.st
        if not st.args.log:
            return
        line = {"method": self.command, "path": self.path, "host": self.headers.get("Host", ""),
                "auth": "Authorization" in self.headers, "action": action}
        if inflight is not None:
            line["inflight"] = inflight
        with st.lock, open(st.args.log, "a") as f:
            f.write(json.dumps(line) + "\n")

    def pick(self):
        st = self.server.st
        with st.lock:
            for r in st.rules:
                if r.take(self.command, self.path):
                    return r
        return None

    def error(self, code, extra=None):
        body = json.dumps({"errors": [{"code": "UNAVAILABLE" if code != 429 else "TOOMANYREQUESTS",
                                       "message": "injected fault %d" % code}]}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        st = self.server.st
        host = self.headers.get("Host", "")
        redirected = host.startswith("localhost:")
        rule = None if redirected else self.pick()
        action = rule.action if rule else None
        if action and action.startswith(("delay:", "gather:")):
            self.log_req(action, rule.enter())
            try:
                if action.startswith("gather:"):
                    rule.hold()
                    return self.forward(st, "forward", redirected)
                return self.forward(st, "forward", redirected, then=rule.hold)
            finally:
                rule.leave()
        self.log_req(action or ("redirected" if redirected else "forward"))
        if action == "reset":
            n = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(n // 2)
            # RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        body = self.read_body()
        if action and action.isdigit():
            code = int(action)
            return self.error(code, {"Retry-After": "1"} if code == 429 else None)
        if action == "redirect":
            self.send_response(307)
            self.send_header("Location", "http://localhost:%d%s" % (st.args.port, self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        return self.forward(st, action, redirected, body)

    def forward(self, st, action, redirected, body=None, then=None):
        if body is None:
            body = self.read_body()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        if redirected:
            headers.pop("Authorization", None)
            headers["Host"] = "127.0.0.1:%d" % st.args.port
            if st.args.upstream_auth:
                headers["Authorization"] = "Basic " + base64.b64encode(
                    st.args.upstream_auth.encode()).decode()
        up_host, up_port = st.args.upstream.rsplit(":", 1)
        conn = http.client.HTTPConnection(up_host, int(up_port), timeout=60)
        try:
            conn.request(self.command, self.path, body=body if body or self.command in
                         ("PUT", "POST", "PATCH") else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except Exception as e:  # upstream trouble: 502
            conn.close()
            return self.error(502)
        conn.close()
        if then:
            then()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() in HOP or k.lower() == "content-length":
                continue
            if k.lower() == "location" and action == "relative":
                v = re.sub(r"^https?://[^/]+", "", v)
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if action == "cut" and self.command != "HEAD":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if self.command != "HEAD":
            self.wfile.write(data)
        if st.args.bytes_log:
            line = {"method": self.command, "path": self.path, "status": resp.status,
                    "sent": len(body or b""), "received": 0 if self.command == "HEAD" else len(data)}
            with st.lock, open(st.args.bytes_log, "a") as f:
                f.write(json.dumps(line) + "\n")

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


class State:
    def __init__(self, args):
        self.args = args
        self.rules = [Rule(r) for r in args.rule]
        self.lock = threading.Lock()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--rule", action="append", default=[])
    ap.add_argument("--log")
    ap.add_argument("--upstream-auth")
    ap.add_argument("--bytes-log")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.st = State(args)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
