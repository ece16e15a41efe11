# Test registries: Debian's docker-registry (distribution 2.8) on a random loopback port with
# its own storage, in one of three modes. Source after common.sh:
#   . "$top_srcdir/tests/lib/registry.sh"
#   registry_start [anonymous|htpasswd|token] [NAME]     (default: anonymous)
# With REG_TLS_CERT/REG_TLS_KEY (and REG_TLS_CLIENTCA) set it serves HTTPS (with client certs).
# sets REG and REGISTRY (127.0.0.1:PORT), REG_PORT, REG_STORAGE (storage root), REG_USER/REG_PASS
# (htpasswd/token modes), TOKEN_LOG (token mode: one JSON line per token request; see
# token_server_start for TOKEN_EXPIRES/TOKEN_LIFETIME).
# The registry (and token server) are stopped at exit.

REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}
REG_USER=tester
REG_PASS='s3cret-pw'

require_registry() {
    if [ ! -x "$REGISTRY_BIN" ]; then echo "1..0 # SKIP docker-registry not installed"; exit 0; fi
    command -v python3 >/dev/null || { echo "1..0 # SKIP python3 missing"; exit 0; }
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL: until it answers with any HTTP status (max ~10 s)
wait_http() {
    local i code
    for i in $(seq 1 100); do
        code=$(curl -sk -o /dev/null -w '%{http_code}' "$1" 2>/dev/null || true)
        if [ -n "$code" ] && [ "$code" != 000 ]; then return 0; fi
        sleep 0.1
    done
    echo "# $1 did not come up" >&2
    return 1
}

# token_server_start DIR: RSA key + self-signed cert, then tests/token-server.py. With
# TOKEN_EXPIRES=N its tokens say "expires_in": N (default 300); with TOKEN_LIFETIME=N the
# registry really refuses them N s after issue, whatever they say (distribution would otherwise
# accept a token until 60 s past its expiry).
token_server_start() {
    local dir=$1
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" \
        -days 2 -subj "/CN=xbuild-test-token-issuer" >/dev/null 2>&1 || return 1
    TOKEN_PORT=$(free_port)
    TOKEN_LOG=$dir/requests.log
    : >"$TOKEN_LOG"
    python3 "$top_srcdir/tests/token-server.py" --port "$TOKEN_PORT" --key "$dir/key.pem" \
        --cert "$dir/cert.pem" --issuer xbuild-test-issuer --service xbuild-test-registry \
        --user "$REG_USER:$REG_PASS" ${TOKEN_ANON_PULL:+--anonymous-pull} \
        ${TOKEN_EXPIRES:+--expires "$TOKEN_EXPIRES"} ${TOKEN_LIFETIME:+--lifetime "$TOKEN_LIFETIME"} \
        --log "$TOKEN_LOG" >"$dir/server.log" 2>&1 &
    local pid=$!
    at_exit "kill $pid"
    wait_http "http://127.0.0.1:$TOKEN_PORT/health"
}

registry_start() {
    local mode=${1:-anonymous} name=${2:-reg}
    local dir=$T/$name
    mkdir -p "$dir/storage"
    REG_PORT=$(free_port)
    REG=127.0.0.1:$REG_PORT
    REGISTRY=$REG
    REG_STORAGE=$dir/storage
    local auth="" tls="" scheme=http
    if [ -n "${REG_TLS_CERT:-}" ]; then
        scheme=https
        tls="  tls:
    certificate: $REG_TLS_CERT
    key: $REG_TLS_KEY"
        if [ -n "${REG_TLS_CLIENTCA:-}" ]; then
            tls="$tls
    clientcas:
      - $REG_TLS_CLIENTCA"
        fi
    fi
    case $mode in
    anonymous) ;;
    htpasswd)
        htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$dir/htpasswd" || return 1
        auth="auth:
  htpasswd:
    realm: xbuild-test
    path: $dir/htpasswd"
        ;;
    token)
        token_server_start "$dir/token" || return 1
        auth="auth:
  token:
    realm: http://127.0.0.1:$TOKEN_PORT/token
    service: xbuild-test-registry
    issuer: xbuild-test-issuer
    rootcertbundle: $dir/token/cert.pem"
        ;;
    *) echo "registry_start: unknown mode $mode" >&2; return 1 ;;
    esac
    cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$REG_PORT
  secret: xbuild-test-secret
$tls
$auth
YAML
    "$REGISTRY_BIN" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    local pid=$!
    at_exit "kill $pid"
    wait_http "$scheme://$REG/v2/"
}

# registry_blob_data DIGEST: path of a blob's data file in the registry storage
registry_blob_data() {
    local hex=${1#sha256:}
    echo "$REG_STORAGE/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}

# make_image OCIDIR NAME [ARCH] [FILE_CONTENT] [SIZE_KB]: a small OCI image made with umoci
# (one layer with /hello containing FILE_CONTENT, plus SIZE_KB of random data in /blob).
# unpack + repack (not `umoci insert`, whose layers lack the tar end-of-archive blocks).
make_image() {
    local oci=$1 name=$2 arch=${3:-amd64} content=${4:-hello} kb=${5:-0}
    local bundle=$T/bundle.$$.$RANDOM
    [ -d "$oci" ] || umoci init --layout "$oci" >/dev/null
    umoci new --image "$oci:$name" >/dev/null
    umoci config --image "$oci:$name" --architecture "$arch" --os linux >/dev/null
    umoci unpack --rootless --image "$oci:$name" "$bundle" >/dev/null 2>&1 || return 1
    echo "$content" >"$bundle/rootfs/hello"
    if [ "$kb" -gt 0 ]; then head -c "$((kb * 1024))" /dev/urandom >"$bundle/rootfs/blob"; fi
    umoci repack --image "$oci:$name" "$bundle" >/dev/null || return 1
    rm -rf "$bundle"
}

# make_layered_image OCIDIR NAME NLAYERS [SIZE_KB]: an amd64 image of NLAYERS layers, layer i
# adding /layer<i> with SIZE_KB (default 4) of random data: NLAYERS + 1 distinct blobs.
make_layered_image() {
    local oci=$1 name=$2 n=$3 kb=${4:-4} i
    local bundle=$T/bundle.$$.$RANDOM
    [ -d "$oci" ] || umoci init --layout "$oci" >/dev/null
    umoci new --image "$oci:$name" >/dev/null
    umoci config --image "$oci:$name" --architecture amd64 --os linux >/dev/null
    for i in $(seq 1 "$n"); do
        umoci unpack --rootless --image "$oci:$name" "$bundle" >/dev/null 2>&1 || return 1
        head -c "$((kb * 1024))" /dev/urandom >"$bundle/rootfs/layer$i"
        umoci repack --image "$oci:$name" "$bundle" >/dev/null || return 1
        rm -rf "$bundle"
    done
}

# proxy_start RULE...: tests/fault-proxy.py in front of $REG (rules: see its header, e.g.
# "GET /blobs/sha256: gather:2:30 -1"); sets PROXY (127.0.0.1:PORT), PROXY_LOG and PROXY_BYTES
# (one JSON line per answered exchange with its "sent"/"received" body bytes).
# PROXY_UPSTREAM_AUTH=user:pass is used for redirected requests.
proxy_start() {
    local args=() r
    for r in "$@"; do args+=(--rule "$r"); done
    PROXY_PORT=$(free_port)
    PROXY=127.0.0.1:$PROXY_PORT
    PROXY_LOG=$T/proxy.$PROXY_PORT.log
    PROXY_BYTES=$T/proxy.$PROXY_PORT.bytes
    : >"$PROXY_LOG"
    : >"$PROXY_BYTES"
    python3 "$top_srcdir/tests/fault-proxy.py" --port "$PROXY_PORT" --upstream "$REG" \
        --log "$PROXY_LOG" --bytes-log "$PROXY_BYTES" ${PROXY_UPSTREAM_AUTH:+--upstream-auth "$PROXY_UPSTREAM_AUTH"} \
        ${args[@]+"${args[@]}"} >"$T/proxy.$PROXY_PORT.out" 2>&1 &
    local pid=$!
    PROXY_PID=$pid
    at_exit "kill $pid"
    wait_http "http://$PROXY/v2/"
}

# make_index OCIDIR NAME TAG...: an OCI index NAME in OCIDIR listing the images TAG... (each
# entry's platform taken from the image config).
make_index() {
    python3 - "$@" <<'PY'
import hashlib, json, os, sys
oci, name, tags = sys.argv[1], sys.argv[2], sys.argv[3:]
def blob(d):
    return os.path.join(oci, "blobs", *d.split(":"))
idx = json.load(open(os.path.join(oci, "index.json")))
byname = {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m for m in idx["manifests"]}
entries = []
for t in tags:
    d = dict(byname[t])
    d.pop("annotations", None)
    man = json.load(open(blob(d["digest"])))
    cfg = json.load(open(blob(man["config"]["digest"])))
    p = {"architecture": cfg["architecture"], "os": cfg["os"]}
    if cfg.get("variant"):
        p["variant"] = cfg["variant"]
    d["platform"] = p
    entries.append(d)
data = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": entries}).encode()
dg = "sha256:" + hashlib.sha256(data).hexdigest()
open(blob(dg), "wb").write(data)
idx["manifests"] = [m for m in idx["manifests"]
                    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != name]
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": dg,
                         "size": len(data),
                         "annotations": {"org.opencontainers.image.ref.name": name}})
json.dump(idx, open(os.path.join(oci, "index.json"), "w"))
print(dg)
PY
}

# make_tls_certs DIR: a CA (ca.crt), a server cert for 127.0.0.1 signed by it (server.crt/.key),
# and a client cert signed by it (client.cert/client.key).
make_tls_certs() {
    local d=$1
    mkdir -p "$d"
    (
        cd "$d" || exit 1
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
            -subj "/CN=xbuild test CA" >/dev/null 2>&1 &&
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
            -subj "/CN=127.0.0.1" >/dev/null 2>&1 &&
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext &&
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out server.crt -days 2 -extfile san.ext >/dev/null 2>&1 &&
        openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
            -subj "/CN=xbuild client" >/dev/null 2>&1 &&
        openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out client.cert -days 2 >/dev/null 2>&1
    )
}
