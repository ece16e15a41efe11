mkdir -p dir1 dir2 dir3 dir4
printf 2 > dir1/file-101.png; printf 3 > dir1/file-102.txt; printf 4 > dir1/file-103.jpeg
printf 6 > dir2/file-201.pdf; printf 7 > dir2/file-202.jpeg; printf 8 > dir2/file-203.png
printf 9 > dir3/file-301.mp3; printf 10 > dir3/file-302.mpeg
printf 11 > dir4/file-401.txt; ln -s file-401.txt dir4/file-402.txt; ln -s file-404.txt dir4/file-403.txt
