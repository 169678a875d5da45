"""One module per multiplier family; each defines a :class:`toolkit.multipliers.family.Family` subclass."""
