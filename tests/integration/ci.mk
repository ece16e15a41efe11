# integration tests: CI (per-architecture jobs stitched, --output; the recipes of examples/ci and action.yml; xbuild's own image)
XB_CI_TESTS = tests/integration/ci-stitch.sh tests/integration/ci-output.sh tests/integration/ci-recipes.sh \
	tests/integration/ci-containerfile.sh
TESTS += $(XB_CI_TESTS)
EXTRA_DIST += $(XB_CI_TESTS)
EXTRA_DIST += tests/ci-runner.py
# what ci-recipes.sh and ci-containerfile.sh read
EXTRA_DIST += action.yml examples/ci/app/Dockerfile examples/ci/app/greeting.txt \
	examples/ci/github/per-arch.yml examples/ci/github/single-runner.yml \
	examples/ci/gitlab/.gitlab-ci.yml examples/ci/k8s/build-jobs.yaml examples/ci/k8s/stitch-job.yaml \
	Containerfile .dockerignore scripts/make-debian-bases.sh
