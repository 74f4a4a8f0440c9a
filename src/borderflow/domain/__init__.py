"""The pure core: rules of the border, with no I/O, no framework and no wall clock."""
