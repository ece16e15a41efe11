# upstream's repository in SHA-256 object format: three commits of foo, tagged v0.0.1..3
# (tests/buildkit/git-repo.sh)
sh "$CASES/git-repo.sh" sha256 v0.0.1 v0.0.2 v0.0.3
