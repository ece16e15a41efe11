# expect: :3: expecting boolean value for flag --link, not: yes
FROM a
COPY --link=yes a b
