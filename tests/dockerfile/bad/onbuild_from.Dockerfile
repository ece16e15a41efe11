# expect: :3: FROM isn't allowed as an ONBUILD trigger
FROM a
ONBUILD FROM b
