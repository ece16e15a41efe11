# integration tests: the shared build cache (bud --cache-from / --cache-to)
CI_CACHE_IT = tests/integration/ci-cache.sh
TESTS += $(CI_CACHE_IT)
EXTRA_DIST += $(CI_CACHE_IT)
