# upstream's repository: two commits of foo, tagged v0.0.1, v0.0.2 (tests/buildkit/git-repo.sh)
sh "$CASES/git-repo.sh" sha1 v0.0.1 v0.0.2
