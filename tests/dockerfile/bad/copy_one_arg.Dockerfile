# expect: :3: COPY requires at least two arguments
FROM a
COPY onlysrc
