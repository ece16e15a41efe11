# expect: :3: when using JSON array syntax, arrays must be comprised of strings only
FROM a
CMD ["a", 1]
