# expect: :3: unterminated heredoc EOF
FROM a
RUN <<EOF
echo hi
EOFX
