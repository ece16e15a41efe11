# upstream's repository: two commits of foo, tagged v0.0.1, v0.0.2, served as dumb HTTP by the
# runner's web server (@HTTP@/repo/.git)
set -e
export GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000 GIT_CONFIG_NOSYSTEM=1 HOME=$PWD
mkdir repo
cd repo
git init -q
git config --local user.email test
git config --local user.name test
for tag in v0.0.1 v0.0.2; do
    echo "foo of $tag" >foo
    git add foo
    git commit -q -m $tag
    git tag $tag
done
git update-server-info
cd ..
