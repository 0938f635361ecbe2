"""The ``trust`` command line: the composition root that wires the packages together."""
