mkdir -p sub/dir1/dir2 files
printf foo-contents > sub/dir1/dir2/foo
printf foo.go-contents > files/foo.go
