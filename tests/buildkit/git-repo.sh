# The Git repository of upstream's ADD <git> tests, for a case's setup.sh (run in its context
# dir): `sh "$CASES/git-repo.sh" sha1|sha256 TAG...` makes repo/ with one commit of foo per TAG
# (each tagged), served as dumb HTTP by the runner's web server (@HTTP@/repo/.git), and writes
# the commits of v0.0.2/v0.0.3 into the Dockerfile's @V2@/@V3@.
set -e
format=$1
shift
export GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000 GIT_CONFIG_NOSYSTEM=1 HOME=$PWD
mkdir repo
cd repo
git init -q --object-format="$format"
git config --local user.email test
git config --local user.name test
for tag in "$@"; do
    echo "foo of $tag" >foo
    git add foo
    git commit -q -m "$tag"
    git tag "$tag"
done
git update-server-info
v2=$(git rev-parse -q --verify v0.0.2 || true)
v3=$(git rev-parse -q --verify v0.0.3 || true)
cd ..
sed -i "s/@V2@/$v2/g; s/@V3@/$v3/g" Dockerfile
