printf foo-contents > foo
mkdir -m 0700 bar
: > bar/sub
chmod 0600 foo bar/sub
