FROM alpine
RUN <<EOF
set -e
echo "hello $USER"
EOF
RUN <<EOT bash
  apt-get update
EOT
RUN <<FILE1 cat > file1 && <<FILE2 cat > file2
I am
first
FILE1
I am
second
FILE2
COPY <<EOF greeting.txt
hello world
EOF
COPY <<-EOT /script.sh
	echo "hello ${FOO}"
	EOT
COPY <<-"EOT" /script2.sh
		echo "hello ${FOO}"
EOT
RUN <<'EOF'
echo '$HOME stays'
EOF
RUN python3 <<EOF
print("a << b")
EOF
RUN echo "<<NOTHEREDOC" && cat <<X
x
X
