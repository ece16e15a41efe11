printf bar-contents > bar
mkdir -m 0700 foo
ln -s ../bar foo/sub
