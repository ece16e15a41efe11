# integration tests: registry (each file: tests/integration/registry-*.sh)
REGISTRY_IT = tests/integration/registry-pull.sh tests/integration/registry-push.sh \
	tests/integration/registry-auth.sh tests/integration/registry-faults.sh \
	tests/integration/registry-tls.sh tests/integration/registry-bud.sh \
	tests/integration/registry-parallel.sh tests/integration/registry-token-expiry.sh \
	tests/integration/registry-creds-scope.sh
TESTS += $(REGISTRY_IT)
EXTRA_DIST += $(REGISTRY_IT) tests/lib/registry.sh tests/token-server.py tests/fault-proxy.py
