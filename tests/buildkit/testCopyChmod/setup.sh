printf foo-contents > foo; chmod 0600 foo
printf bar-contents > bar; chmod 0700 bar
