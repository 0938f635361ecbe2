"""Outlier detectors behind one scikit-learn contract, chosen by name in configuration.

Which one to pick:

- ``ensemble`` (default): an isolation forest and ECOD, each row's ranks among the
  training rows averaged (:class:`RankEnsembleOutlierDetector`). Chosen by validation over
  18 tables -- scikit-learn's bundled breast cancer, wine, digits and iris turned into
  outlier tasks, two synthetic tables (heavy-tailed counts, a broken correlation), and the
  four event kinds of three simulator seeds, each over three draws: it had the best mean
  ROC-AUC (0.883 against 0.871 for a default forest, 0.877 for 4096-row trees, 0.868 for
  ECOD, 0.876 for HBOS) and the smallest worst shortfall against the better of a default
  forest and ECOD (-0.030, where every single detector lost 0.096 or more somewhere).
  The forest catches oddities in combinations of features, ECOD values far in one
  feature's tail; neither wins everywhere. Its trees use ``max_samples`` rows (4096: on
  the same 18 tables inside the ensemble it beat the paper's 256, 0.883 against 0.879).
- ``isolation_forest``: scikit-learn's IsolationForest. Makes no assumption about
  the shape of the data, copes with mixed scales and many irrelevant features, trains on a
  small subsample (``max_samples``) so a million rows take seconds.
- ``ecod``: :class:`EmpiricalTailOutlierDetector`, ECOD (Li et al., 2022): per feature, how
  far into its empirical tail a value lies. No parameters, no bins, so heavy-tailed counts
  keep their ranks (equal-width histograms put them all in one bin); blind to anomalies
  only visible in a combination of features.
- ``hbos``: :class:`HistogramOutlierDetector`, a histogram-based outlier score (HBOS,
  Goldstein & Dengel 2012). Treats features independently, so it misses anomalies that are
  only visible in a combination of features, but it is the fastest to train and score, its
  score decomposes exactly per feature (easy to explain), and it is a good choice when each
  feature is individually meaningful (ages, amounts, counts of shared identifiers).
- ``local_outlier_factor``: scikit-learn's LocalOutlierFactor with ``novelty=True`` after a
  robust scaling. Finds points in sparse neighbourhoods even when their marginal values look
  normal (on simulated data it ranked every "subtle" planted anomaly in its top 5%), but it
  also ranks dense fraud clusters (rings, farms) as normal, so its overall ROC-AUC is low;
  scoring needs a neighbour search over the stored training set, so it is the slowest and
  suits small kinds (a few tens of thousands of events) or a second opinion.

Whichever is chosen, an event kind's model wraps it in :class:`EventNoveltyOutlierDetector`
(``TRUST_MODEL__EVENT_NOVELTY_SHARE``, 0 turns it off): a second copy over the event's own
facts overrules the copy over every feature for the rarest 0.2% of events by those facts.
History signals outnumber an event's own facts about three to one, and averaged a contract of
minutes paid thousands and reviewed within a minute to the 0.92-0.94 percentile; wrapped,
it is beyond the 0.995 review cutoff. Tables (``trust model evaluate``) are not wrapped.

All follow the scikit-learn outlier convention: ``score_samples`` is higher for more normal
points; the house convention (0-1, higher is riskier) is applied once, in
:mod:`models.calibration`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import RobustScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from trust.errors import ConfigurationError

# Floor of a histogram bin's normalised height: an unseen value is rare, never impossible.
_MIN_DENSITY = 1e-6


def _scoring_input(detector: BaseEstimator, X: Any) -> NDArray[np.float64]:
    """``X`` checked as ``validate_data(detector, X, dtype=np.float64, reset=False)`` checks
    it, after ``check_is_fitted``.

    A batch's scoring matrix is already what those checks ask for (a finite 2-D float64
    array of the fitted width, no feature names on either side): it is used as it is, since
    scikit-learn's checks cost as much as an ECOD member's scoring (~0.5 ms per call, a
    call per kind and batch). Anything else goes through them, with their errors.
    """
    if (
        type(X) is np.ndarray
        and X.dtype == np.float64
        and X.ndim == 2
        and len(X)
        and X.shape[1] == getattr(detector, "n_features_in_", None)
        and not hasattr(detector, "feature_names_in_")
        and np.isfinite(X).all()
    ):
        return X
    check_is_fitted(detector)
    return validate_data(detector, X, dtype=np.float64, reset=False)  # type: ignore[no-any-return]


class _OffsetOutlierMixin(OutlierMixin):
    """``decision_function`` and ``predict`` from ``score_samples`` and the fitted
    ``offset_`` (the training scores' ``contamination`` quantile), as scikit-learn's own."""

    offset_: float

    if TYPE_CHECKING:  # each detector defines its own

        def score_samples(self, X: Any) -> NDArray[np.float64]: ...

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Negative for outliers: ``score_samples - offset_``."""
        return self.score_samples(X) - self.offset_

    def predict(self, X: Any) -> NDArray[np.int_]:
        """+1 for inliers, -1 for outliers."""
        return np.where(self.decision_function(X) < 0, -1, 1)


class HistogramOutlierDetector(_OffsetOutlierMixin, BaseEstimator):
    """Histogram-based outlier score: the sum over features of -log(bin height).

    Each feature gets ``n_bins`` equal-width bins over its training range; heights are
    normalised so the fullest bin is 1. A value outside the training range falls in an
    empty bin and gets the floor density.
    """

    bin_low_: NDArray[np.float64]
    bin_high_: NDArray[np.float64]
    bin_width_: NDArray[np.float64]
    log_heights_: NDArray[np.float64]
    offset_: float

    def __init__(self, n_bins: int = 20, contamination: float = 0.01) -> None:
        self.n_bins = n_bins
        self.contamination = contamination

    def fit(self, X: Any, y: Any = None) -> HistogramOutlierDetector:
        """Learn one histogram per feature; ``y`` is ignored."""
        if not isinstance(self.n_bins, int | np.integer) or self.n_bins < 2:
            raise ValueError(f"n_bins must be an integer >= 2, got {self.n_bins!r}")
        if not isinstance(self.contamination, Real) or not 0 < self.contamination <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5], got {self.contamination!r}")
        data = validate_data(self, X, dtype=np.float64)
        low = data.min(axis=0)
        high = data.max(axis=0)
        # A constant feature gets a unit-wide range so every bin edge is distinct.
        width = np.where(high > low, high - low, 1.0)
        self.bin_low_ = low
        self.bin_high_ = high
        self.bin_width_ = width / self.n_bins
        codes = self._bin_codes(data)
        heights = np.zeros((data.shape[1], self.n_bins), dtype=np.float64)
        for column in range(data.shape[1]):
            heights[column] = np.bincount(codes[:, column], minlength=self.n_bins)
        heights /= heights.max(axis=1, keepdims=True)
        self.log_heights_ = np.log(np.maximum(heights, _MIN_DENSITY))
        self.offset_ = float(np.percentile(self.score_samples(data), 100 * self.contamination))
        return self

    def _bin_codes(self, data: NDArray[np.float64]) -> NDArray[np.intp]:
        position = np.floor((data - self.bin_low_) / self.bin_width_)
        # Out-of-range values are marked with n_bins, an extra always-empty bin.
        outside = (data < self.bin_low_) | (data > self.bin_high_)
        codes = np.clip(position, 0, self.n_bins - 1).astype(np.intp)
        codes[outside] = self.n_bins
        return codes

    def feature_log_densities(self, X: Any) -> NDArray[np.float64]:
        """Per-feature log bin heights (rows x features); their sum is ``score_samples``."""
        data = _scoring_input(self, X)
        codes = self._bin_codes(data)
        padded = np.concatenate(
            [self.log_heights_, np.full((data.shape[1], 1), np.log(_MIN_DENSITY))], axis=1
        )
        return padded[np.arange(data.shape[1]), codes]  # type: ignore[no-any-return]

    def score_samples(self, X: Any) -> NDArray[np.float64]:
        """Higher for more normal rows (scikit-learn convention)."""
        return self.feature_log_densities(X).sum(axis=1)  # type: ignore[no-any-return]


# Sorted search keys per fitted table, by the identity of its values array (kept alive
# alongside so an id is never reused for another array while cached).
_TAIL_KEYS: dict[int, tuple[NDArray[np.float64], NDArray[np.complex128]]] = {}
_TAIL_KEYS_LIMIT = 64
# Up to this many rows one search over all features beats a search per feature (the
# synchronous single-event path); larger batches search feature by feature.
AT_ONCE_ROWS = 32


@dataclass(frozen=True)
class _TailTables:
    """Each feature's distinct training values and the -log tail probabilities around them.

    Rows are features, padded with +inf to the longest; with ``i`` distinct values <= x,
    ``left[i]`` is -log P(X <= x), and -log P(X >= x) is ``right_at[i]`` when x equals the
    i-th distinct value and ``right_above[i]`` otherwise. Counts get add-one smoothing, so
    a value beyond the training range is rare, never impossible; ties (counts with many
    equal values) share one probability instead of being collapsed with distant values.
    """

    values: NDArray[np.float64]
    left: NDArray[np.float64]
    right_at: NDArray[np.float64]
    right_above: NDArray[np.float64]

    @classmethod
    def of(cls, sample: NDArray[np.float64]) -> _TailTables:
        n, columns = sample.shape
        distinct = [np.unique(sample[:, j], return_counts=True) for j in range(columns)]
        width = max(len(v) for v, _ in distinct)
        values = np.full((columns, width), np.inf)
        at_most = np.zeros((columns, width + 1))
        for j, (v, counts) in enumerate(distinct):
            values[j, : len(v)] = v
            at_most[j, 1 : len(v) + 1] = np.cumsum(counts)
            at_most[j, len(v) + 1 :] = n
        below = np.concatenate([np.zeros((columns, 1)), at_most[:, :-1]], axis=1)

        def neg_log(count: NDArray[np.float64]) -> NDArray[np.float64]:
            return -np.log((count + 1.0) / (n + 1.0))  # type: ignore[no-any-return]

        return cls(values, neg_log(at_most), neg_log(n - below), neg_log(n - at_most))

    def tails(self, data: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """-log P(X <= x) and -log P(X >= x) per cell (one binary search per cell)."""
        if len(data) <= AT_ONCE_ROWS:
            return self.tails_at_once(data)
        return self.tails_by_feature(data)

    def tails_by_feature(
        self, data: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``tails`` one feature at a time: cheapest for many rows."""
        left = np.empty(data.shape, dtype=np.float64, order="F")
        right = np.empty(data.shape, dtype=np.float64, order="F")
        values = np.asfortranarray(data)
        for j in range(data.shape[1]):
            x = values[:, j]
            known = self.values[j]
            i = np.searchsorted(known, x, side="right")
            equal = known[np.maximum(i - 1, 0)] == x
            left[:, j] = self.left[j, i]
            right[:, j] = np.where(equal & (i > 0), self.right_at[j, i], self.right_above[j, i])
        return left, right

    def tails_at_once(
        self, data: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``tails`` in one binary search for all cells: cheapest for a few rows.

        Every feature's sorted values are searched at once as (feature, value) pairs,
        which numpy orders lexicographically as complex numbers; the position found is
        the same as a per-feature ``searchsorted(..., side="right")``.
        """
        rows, columns = data.shape
        width = self.values.shape[1]
        keys = self.keys()
        wanted = np.empty(data.shape, dtype=np.complex128)
        wanted.real = np.arange(columns, dtype=np.float64)
        wanted.imag = data
        # i[r, j]: how many of feature j's values are <= data[r, j].
        i = np.searchsorted(keys, wanted.ravel(), side="right").reshape(rows, columns)
        i -= np.arange(columns) * width
        feature = np.broadcast_to(np.arange(columns), (rows, columns))
        before = np.maximum(i - 1, 0)
        equal = (self.values[feature, before] == data) & (i > 0)
        left = self.left[feature, i]
        right = np.where(equal, self.right_at[feature, i], self.right_above[feature, i])
        return left, right

    def keys(self) -> NDArray[np.complex128]:
        """Every (feature, value) as one sorted complex array: feature real, value imaginary."""
        cached = _TAIL_KEYS.get(id(self.values))
        if cached is not None and cached[0] is self.values:
            return cached[1]
        columns, width = self.values.shape
        keys = np.empty((columns, width), dtype=np.complex128)
        keys.real = np.arange(columns, dtype=np.float64)[:, None]
        # Set apart, not multiplied: 1j * inf would be nan + inf j.
        keys.imag = self.values
        flat = keys.ravel()
        if len(_TAIL_KEYS) >= _TAIL_KEYS_LIMIT:
            _TAIL_KEYS.clear()
        _TAIL_KEYS[id(self.values)] = (self.values, flat)
        return flat


class EmpiricalTailOutlierDetector(_OffsetOutlierMixin, BaseEstimator):
    """ECOD (Li et al., 2022): how far into its own tail each feature of a row lies.

    Per feature, the empirical left- and right-tail probabilities of the value; a row's
    outlyingness is the largest of the summed left tails, the summed right tails, and the
    summed tails each feature's skewness points to. No parameters to tune, no distance,
    no bins: heavy-tailed counts keep their ranks. ``max_samples`` rows (a random sample
    when training is larger) are kept per feature, sorted, for scoring new rows.
    """

    # The fitted _TailTables as plain arrays (artefacts hold only library types).
    tail_values_: NDArray[np.float64]
    tail_left_: NDArray[np.float64]
    tail_right_at_: NDArray[np.float64]
    tail_right_above_: NDArray[np.float64]
    skewed_left_: NDArray[np.bool_]
    offset_: float

    def __init__(
        self, max_samples: int = 4096, contamination: float = 0.01, random_state: int = 0
    ) -> None:
        self.max_samples = max_samples
        self.contamination = contamination
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> EmpiricalTailOutlierDetector:
        """Keep each feature's sorted values and its skewness; ``y`` is ignored."""
        if not isinstance(self.max_samples, int | np.integer) or self.max_samples < 2:
            raise ValueError(f"max_samples must be an integer >= 2, got {self.max_samples!r}")
        if not isinstance(self.contamination, Real) or not 0 < self.contamination <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5], got {self.contamination!r}")
        data = validate_data(self, X, dtype=np.float64)
        sample = data
        if len(data) > self.max_samples:
            rng = np.random.default_rng(self.random_state)
            sample = data[rng.choice(len(data), self.max_samples, replace=False)]
        tables = _TailTables.of(sample)
        self.tail_values_, self.tail_left_ = tables.values, tables.left
        self.tail_right_at_, self.tail_right_above_ = tables.right_at, tables.right_above
        centred = sample - sample.mean(axis=0)
        spread = np.sqrt((centred**2).mean(axis=0))
        skewness = np.divide(
            (centred**3).mean(axis=0), spread**3, out=np.zeros(data.shape[1]), where=spread > 0
        )
        self.skewed_left_ = skewness < 0
        self.offset_ = float(np.percentile(self.score_samples(data), 100 * self.contamination))
        return self

    def _tables(self) -> _TailTables:
        return _TailTables(
            self.tail_values_, self.tail_left_, self.tail_right_at_, self.tail_right_above_
        )

    def feature_outlyingness(self, X: Any) -> NDArray[np.float64]:
        """Per-feature tail scores (rows x features) of the side each feature's skew points to."""
        data = _scoring_input(self, X)
        left, right = self._tables().tails(data)
        return np.where(self.skewed_left_, left, right)

    def score_samples(self, X: Any) -> NDArray[np.float64]:
        """Higher for more normal rows (scikit-learn convention): minus the ECOD score."""
        data = _scoring_input(self, X)
        left, right = self._tables().tails(data)
        skewed = np.where(self.skewed_left_, left, right)
        worst = np.maximum(np.maximum(left.sum(axis=1), right.sum(axis=1)), skewed.sum(axis=1))
        return -worst  # type: ignore[no-any-return]


def _reference_sample(data: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """The training rows members' ranks are read against: a fixed random sample of ``size``
    rows, so a million rows cost no more to reference than ``size``."""
    if len(data) <= size:
        return data
    rng = np.random.default_rng(0)
    return data[rng.choice(len(data), size, replace=False)]


def _rank(scores: Any, reference: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each score's rank (0-1) among a member's sorted reference scores."""
    ranked = np.searchsorted(reference, np.asarray(scores, dtype=np.float64), side="right")
    return ranked / len(reference)  # type: ignore[no-any-return]


class RankEnsembleOutlierDetector(_OffsetOutlierMixin, BaseEstimator):
    """Averages its members' ranks: a row's score is how normal it is by all of them at once.

    Each member's training scores are kept sorted (up to ``reference_size`` of them) so a
    new row's score becomes its rank among training rows; ranks, not raw scores, are
    averaged because members score on unrelated scales.
    """

    estimators_: list[BaseEstimator]
    references_: list[NDArray[np.float64]]
    offset_: float

    def __init__(
        self,
        estimators: list[tuple[str, BaseEstimator]] | None = None,
        reference_size: int = 10_000,
        contamination: float = 0.01,
    ) -> None:
        self.estimators = estimators
        self.reference_size = reference_size
        self.contamination = contamination

    def fit(self, X: Any, y: Any = None) -> RankEnsembleOutlierDetector:
        """Fit every member on ``X``; ``y`` is ignored."""
        if not isinstance(self.contamination, Real) or not 0 < self.contamination <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5], got {self.contamination!r}")
        data = validate_data(self, X, dtype=np.float64)
        members = self.estimators or [
            ("isolation_forest", IsolationForest(random_state=0)),
            ("ecod", EmpiricalTailOutlierDetector()),
        ]
        sample = _reference_sample(data, self.reference_size)
        self.estimators_, self.references_ = [], []
        for _, member in members:
            fitted = clone(member)
            if isinstance(fitted, IsolationForest) and isinstance(fitted.max_samples, int):
                fitted.set_params(max_samples=min(fitted.max_samples, len(data)))
            fitted.fit(data)
            self.estimators_.append(fitted)
            self.references_.append(
                np.sort(np.asarray(fitted.score_samples(sample), dtype=np.float64))
            )
        self.offset_ = float(np.percentile(self.score_samples(sample), 100 * self.contamination))
        return self

    def score_samples(self, X: Any) -> NDArray[np.float64]:
        """Mean rank (0-1) among training rows over the members: higher is more normal."""
        data = _scoring_input(self, X)
        return self.combine([member.score_samples(data) for member in self.estimators_])

    def combine(self, member_scores: list[Any]) -> NDArray[np.float64]:
        """Mean rank among training rows of each member's ``score_samples``, in member order."""
        ranks = [
            _rank(scores, reference)
            for scores, reference in zip(member_scores, self.references_, strict=True)
        ]
        return np.mean(ranks, axis=0)  # type: ignore[no-any-return]


class EventNoveltyOutlierDetector(_OffsetOutlierMixin, BaseEstimator):
    """A detector over every feature, overruled in the far tail by one over the event alone.

    An event's signals (its accounts' history: shared devices, complaint counts, review
    graph) outnumber the facts of the event itself (amounts, timings, the profile sent),
    so an event unlike any seen before -- a contract of minutes paid thousands, reviewed
    within a minute; a sign-up verified at once with a skill list and rate nobody has --
    is averaged into the crowd by the whole detector: it ranked such events at the
    0.90-0.98 percentile, below the fixed review cutoff. ``event_estimator`` sees only
    ``event_columns``; where it puts a row among the rarest ``novelty_share`` of training
    rows, the row takes the lower (more unusual) of the two ranks. Everywhere else the
    whole detector's rank stands, so the ranking of history-driven fraud is kept.

    The event member learns from the fixed sample its ranks are read against (up to
    ``reference_size`` rows), so a neighbour-based one (``local_outlier_factor``, the
    configured default) costs the same at a million rows as at ten thousand.
    """

    estimators_: list[BaseEstimator]
    references_: list[NDArray[np.float64]]
    offset_: float

    def __init__(
        self,
        estimator: BaseEstimator | None = None,
        event_estimator: BaseEstimator | None = None,
        event_columns: tuple[int, ...] = (),
        novelty_share: float = 0.002,
        reference_size: int = 10_000,
        contamination: float = 0.01,
    ) -> None:
        self.estimator = estimator
        self.event_estimator = event_estimator
        self.event_columns = event_columns
        self.novelty_share = novelty_share
        self.reference_size = reference_size
        self.contamination = contamination

    def fit(self, X: Any, y: Any = None) -> EventNoveltyOutlierDetector:
        """Fit both detectors on ``X`` (the event one on its columns); ``y`` is ignored."""
        if not isinstance(self.novelty_share, Real) or not 0 <= self.novelty_share < 0.5:
            raise ValueError(f"novelty_share must be in [0, 0.5), got {self.novelty_share!r}")
        data = validate_data(self, X, dtype=np.float64)
        columns = list(self.event_columns)
        if not columns or min(columns) < 0 or max(columns) >= data.shape[1]:
            raise ValueError(
                f"event_columns must name columns of the {data.shape[1]} features, "
                f"got {self.event_columns!r}"
            )
        sample = _reference_sample(data, self.reference_size)
        members = (
            (self.estimator or _ensemble(0), slice(None), data),
            (self.event_estimator or _ensemble(0), columns, sample),
        )
        self.estimators_, self.references_ = [], []
        for member, view, rows in members:
            fitted = clone(member)
            fitted.fit(rows[:, view])
            self.estimators_.append(fitted)
            self.references_.append(
                np.sort(np.asarray(fitted.score_samples(sample[:, view]), dtype=np.float64))
            )
        self.offset_ = float(np.percentile(self.score_samples(sample), 100 * self.contamination))
        return self

    def views(self, data: NDArray[np.float64]) -> list[NDArray[np.float64]]:
        """The columns each member scores, in member order."""
        return [data, data[:, list(self.event_columns)]]

    def score_samples(self, X: Any) -> NDArray[np.float64]:
        """Rank (0-1) among training rows, higher is more normal (see the class)."""
        data = _scoring_input(self, X)
        return self.combine(
            [
                member.score_samples(view)
                for member, view in zip(self.estimators_, self.views(data), strict=True)
            ]
        )

    def combine(self, member_scores: list[Any]) -> NDArray[np.float64]:
        """The whole detector's rank, or the event detector's where it is novel and lower."""
        whole, event = (
            _rank(scores, reference)
            for scores, reference in zip(member_scores, self.references_, strict=True)
        )
        return np.where(event <= self.novelty_share, np.minimum(whole, event), whole)


def with_event_novelty(
    detector: BaseEstimator,
    names: list[str],
    event_columns: list[str],
    novelty_share: float,
    event_detector: BaseEstimator | None = None,
) -> BaseEstimator:
    """``detector`` over ``names``, overruled where ``event_detector`` (``detector`` itself
    when None) finds the event's own columns novel.

    Unchanged when the share is 0 or the event's columns are all or none of the features.
    """
    wanted = set(event_columns)
    columns = tuple(i for i, name in enumerate(names) if name in wanted)
    if not novelty_share or not columns or len(columns) == len(names):
        return detector
    return EventNoveltyOutlierDetector(
        clone(detector),
        clone(detector if event_detector is None else event_detector),
        columns,
        novelty_share=novelty_share,
    )


def _isolation_forest(random_state: int, **params: Any) -> IsolationForest:
    options: dict[str, Any] = {"n_estimators": 100, "max_samples": 4096}
    options.update(params)
    return IsolationForest(random_state=random_state, **options)


def _hbos(random_state: int, **params: Any) -> HistogramOutlierDetector:
    # Deterministic: no randomness to seed.
    return HistogramOutlierDetector(**params)


def _local_outlier_factor(random_state: int, **params: Any) -> Pipeline:
    options: dict[str, Any] = {"n_neighbors": 35}
    options.update(params)
    # Distances mean nothing across features in days, money and 0/1 flags: scale robustly first.
    return make_pipeline(RobustScaler(), LocalOutlierFactor(novelty=True, **options))


def _ecod(random_state: int, **params: Any) -> EmpiricalTailOutlierDetector:
    return EmpiricalTailOutlierDetector(random_state=random_state, **params)


def _ensemble(random_state: int, **params: Any) -> RankEnsembleOutlierDetector:
    forest = {k: v for k, v in params.items() if k in ("n_estimators", "max_samples")}
    return RankEnsembleOutlierDetector(
        [
            ("isolation_forest", _isolation_forest(random_state, **forest)),
            ("ecod", _ecod(random_state)),
        ]
    )


DETECTORS: dict[str, Callable[..., BaseEstimator]] = {
    "isolation_forest": _isolation_forest,
    "hbos": _hbos,
    "ecod": _ecod,
    "ensemble": _ensemble,
    "local_outlier_factor": _local_outlier_factor,
}


def make_detector(name: str, *, random_state: int = 0, **params: Any) -> BaseEstimator:
    """A fresh, unfitted detector named in configuration."""
    try:
        factory = DETECTORS[name]
    except KeyError:
        known = ", ".join(sorted(DETECTORS))
        raise ConfigurationError(f"unknown detector '{name}'; choose one of: {known}") from None
    return factory(random_state, **params)
