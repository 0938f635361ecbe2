"""Escrow disputes: one case per contract's money, run as a state machine with deadlines.

``machine`` is the pure process (stages, facts, deadlines, default outcomes); ``intake``
turns complaints and the parties' events into disputes and steps; ``timers`` applies
missed deadlines; ``export`` prints the queue for a data team. Rows live in
``trust.store.disputes``.
"""
