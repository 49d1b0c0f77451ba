"""(to be written)"""

OPS: tuple[str, ...] = ()
