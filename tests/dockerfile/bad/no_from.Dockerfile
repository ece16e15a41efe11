# expect: :3: no FROM instruction
ARG A=1
ARG B
