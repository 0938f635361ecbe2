"""The anomaly model, a layer on top of ``trust``: features, detectors, registry, evaluation.

The pipeline sees only :class:`models.scorer.RegistryScorer`, through the ``AnomalyScorer``
protocol of :mod:`trust.decisions`; ``trust`` never imports this package.
"""
