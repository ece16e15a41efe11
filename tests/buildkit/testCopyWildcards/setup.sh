printf foo-contents > foo.go
printf bar-contents > bar.go
mkdir -p sub/dir1/dir2
printf foo-contents > sub/dir1/dir2/foo
