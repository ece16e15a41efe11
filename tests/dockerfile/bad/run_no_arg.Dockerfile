# expect: :4: RUN requires at least one argument
FROM a

RUN \

