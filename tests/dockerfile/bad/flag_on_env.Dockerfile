# expect: :3: unknown flag: --x for ENV
FROM a
ENV --x=1 A=b
