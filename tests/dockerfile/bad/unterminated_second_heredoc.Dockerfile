# expect: :3: unterminated heredoc TWO
FROM a
COPY <<ONE <<TWO /d/
1
ONE
2
