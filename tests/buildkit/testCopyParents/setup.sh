mkdir -p foo1/foo2 && chmod 0700 foo1 foo1/foo2
printf testing > foo1/foo2/bar
printf testing2 > foo1/foo2/baz
