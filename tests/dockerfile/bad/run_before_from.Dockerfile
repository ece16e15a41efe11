# expect: :2: RUN before the first FROM
RUN x
FROM a
