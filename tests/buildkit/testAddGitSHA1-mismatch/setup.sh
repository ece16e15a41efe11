# upstream's repository: three commits of foo, tagged v0.0.1..3, served as dumb HTTP by the
# runner's web server (@HTTP@/repo/.git); @V2@/@V3@ in the Dockerfile become the commits of
# v0.0.2/v0.0.3
set -e
export GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000 GIT_CONFIG_NOSYSTEM=1 HOME=$PWD
mkdir repo
cd repo
git init -q
git config --local user.email test
git config --local user.name test
for tag in v0.0.1 v0.0.2 v0.0.3; do
    echo "foo of $tag" >foo
    git add foo
    git commit -q -m $tag
    git tag $tag
done
git update-server-info
v2=$(git rev-parse v0.0.2)
v3=$(git rev-parse v0.0.3)
cd ..
sed -i "s/@V2@/$v2/g; s/@V3@/$v3/g" Dockerfile
