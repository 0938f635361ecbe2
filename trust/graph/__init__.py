"""The account graph: links between accounts, clusters acting together, graph features.

Pure computation over typed ``Link`` rows; ``trust.store.graph`` reads them from the store
and ``trust.cases.clusters`` turns suspicious clusters into cluster cases. ``trade`` reads the
review ties around a batch's reviews for the trade-graph signals of each review.
"""
