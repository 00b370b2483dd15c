"""Native event generators, one module per cloud; ``polyfn events`` prints them."""
