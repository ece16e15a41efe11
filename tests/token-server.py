#!/usr/bin/env python3
"""A minimal token server for distribution's `auth: token` mode (tests only).

GET /token?service=S&scope=repository:NAME:ACTIONS... with optional Basic credentials.
Wrong credentials -> 401. Known user -> every requested action. Anonymous -> "pull" only with
--anonymous-pull, else no access. Tokens are RS256 JWTs whose header carries the signing
certificate in "x5c" (distribution verifies it against `rootcertbundle`). Signing uses
`openssl dgst -sha256 -sign` so no third-party Python module is needed.
Each request is logged as one JSON line to --log (user, scopes; never passwords).
--expires N is the "expires_in" of the answers (and the JWT's lifetime); --lifetime N makes the
registry refuse the token N seconds after it was issued whatever expires_in says (a revoked or
shorter-lived token): distribution accepts a token until 60 s after its "exp" (its clock-skew
leeway), so "exp" is set 60 s earlier than the wanted end. Times are rounded up to the next
second, so a token lives at least as long as announced.
"""
import math
import argparse
import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


DISTRIBUTION_LEEWAY = 60  # registry/auth/token: "exp" is checked with a 60 s leeway


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class State:
    def __init__(self, args):
        self.args = args
        self.users = dict(u.split(":", 1) for u in args.user)
        pem = open(args.cert).read()
        der_b64 = "".join(
            l for l in pem.splitlines() if l and not l.startswith("-----")
        )
        self.x5c = [der_b64]
        self.lock = threading.Lock()
        self.counter = 0

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", self.args.key],
            input=signing_input.encode(),
            stdout=subprocess.PIPE,
            check=True,
        ).stdout
        return signing_input + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):  # quiet
        pass

    def reply(self, code, body: dict, extra=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        st: State = self.server.state
        url = urllib.parse.urlparse(self.path)
        if url.path == "/health":
            return self.reply(200, {"ok": True})
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        q = urllib.parse.parse_qs(url.query)
        user = None
        auth = self.headers.get("Authorization", "")
        if auth:
            if not auth.startswith("Basic "):
                return self.reply(401, {"error": "basic auth expected"})
            try:
                u, p = base64.b64decode(auth[6:]).decode().split(":", 1)
            except Exception:
                return self.reply(401, {"error": "bad basic auth"})
            if st.users.get(u) != p:
                self.log(u, q, "denied")
                return self.reply(
                    401,
                    {"errors": [{"code": "UNAUTHORIZED", "message": "invalid credentials"}]},
                    {"WWW-Authenticate": 'Basic realm="xbuild-test"'},
                )
            user = u
        service = (q.get("service") or [""])[0]
        if service != st.args.service:
            return self.reply(400, {"error": "unknown service %r" % service})
        access = []
        for scope in q.get("scope", []):
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) < 3:
                    continue
                typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
                if user is None:
                    actions = [a for a in actions if a == "pull"] if st.args.anonymous_pull else []
                access.append({"type": typ, "name": name, "actions": actions})
        now = math.ceil(time.time())
        exp = now + st.args.expires
        if st.args.lifetime is not None:
            exp = now + st.args.lifetime - DISTRIBUTION_LEEWAY
        with st.lock:
            st.counter += 1
            jti = "%d-%d" % (os.getpid(), st.counter)
        claims = {
            "iss": st.args.issuer,
            "sub": user or "",
            "aud": service,
            "exp": exp,
            "nbf": now - 10,
            "iat": now,
            "jti": jti,
            "access": access,
        }
        token = st.sign(claims)
        self.log(user, q, "granted")
        body = {"token": token, "expires_in": st.args.expires,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
        if st.args.access_token_only:
            body = {"access_token": token, "expires_in": st.args.expires}
        self.reply(200, body)

    def log(self, user, q, result):
        if not self.server.state.args.log:
            return
        with self.server.state.lock, open(self.server.state.args.log, "a") as f:
            f.write(json.dumps({"user": user, "scope": q.get("scope", []),
                                "result": result}) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--user", action="append", default=[])
    ap.add_argument("--anonymous-pull", action="store_true")
    ap.add_argument("--access-token-only", action="store_true")
    ap.add_argument("--expires", type=int, default=300)
    ap.add_argument("--lifetime", type=int)
    ap.add_argument("--log")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.state = State(args)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
