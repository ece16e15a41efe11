ln -s sub link
mkdir -m 0700 sub
printf contents > sub/foo
