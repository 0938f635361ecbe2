"""Escrow disputes: one case per contract's money, run as a state machine with deadlines.

``machine`` is the pure process (stages, facts, deadlines, default outcomes); ``process``
applies one fact to a stored dispute; ``intake`` turns payment complaints into disputes;
``parties`` routes the parties' events to their dispute and steps it; ``actions`` is the
mediator's proposal; ``timers`` applies missed deadlines; ``queries`` reads a dispute for
the case screen. Rows live in ``trust.store.disputes``; ``trust.cases.export`` prints the
queue for a data team.
"""
