"""Measurement: the simulated device behind the board runtime's driver, deploying to a board,
and (``run``/``report``) the ``toolkit measure`` command's library side."""
