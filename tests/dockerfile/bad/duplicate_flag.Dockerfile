# expect: :2: duplicate flag specified: --platform
FROM --platform=a --platform=b x
