# expect: :3: VOLUME specified can not be an empty string
FROM a
VOLUME ["/a", ""]
