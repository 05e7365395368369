"""Inter-laboratory comparisons and proficiency testing: ISO 13528 / ISO/IEC 17043 scoring.

The engine is pure (no I/O): :func:`evaluate_round` scores a round from plain
arrays; ``ilc.schema`` holds the JSON/CSV documents of ``calib ilc score``.
"""

from ilc.assigned import METHODS, AssignedValue, assign_value
from ilc.consensus import (
    ConsensusEstimate,
    DoeConvention,
    degrees_of_equivalence,
    dersimonian_laird,
    largest_consistent_subset,
    weighted_mean,
)
from ilc.evaluate import RoundScores, evaluate_round
from ilc.history import HistorySignal, RoundPoint, history_signals, rescaled_sum_of_z
from ilc.homogeneity import (
    HomogeneityCheck,
    StabilityCheck,
    expanded_criterion_factors,
    homogeneity_check,
    stability_check,
)
from ilc.outliers import (
    OutlierTest,
    cochran_test,
    grubbs_critical,
    grubbs_double_test,
    grubbs_test,
    mandel_h,
    mandel_k,
)
from ilc.robust import (
    MIN_ROBUST_RESULTS,
    RobustEstimate,
    algorithm_a,
    made,
    median_estimate,
    niqr,
    robust_standard_uncertainty,
)
from ilc.scores import (
    DEFAULT_EN_LIMIT,
    Verdict,
    classify_en,
    classify_z,
    en_score,
    percent_deviation,
    plausibility_flags,
    use_z_prime,
    z_prime_score,
    z_score,
    zeta_score,
)

__all__ = [
    "DEFAULT_EN_LIMIT",
    "METHODS",
    "MIN_ROBUST_RESULTS",
    "AssignedValue",
    "ConsensusEstimate",
    "DoeConvention",
    "HistorySignal",
    "HomogeneityCheck",
    "OutlierTest",
    "RobustEstimate",
    "RoundPoint",
    "RoundScores",
    "StabilityCheck",
    "Verdict",
    "algorithm_a",
    "assign_value",
    "classify_en",
    "classify_z",
    "cochran_test",
    "degrees_of_equivalence",
    "dersimonian_laird",
    "en_score",
    "evaluate_round",
    "expanded_criterion_factors",
    "grubbs_critical",
    "grubbs_double_test",
    "grubbs_test",
    "history_signals",
    "homogeneity_check",
    "largest_consistent_subset",
    "made",
    "mandel_h",
    "mandel_k",
    "median_estimate",
    "niqr",
    "percent_deviation",
    "plausibility_flags",
    "rescaled_sum_of_z",
    "robust_standard_uncertainty",
    "stability_check",
    "use_z_prime",
    "weighted_mean",
    "z_prime_score",
    "z_score",
    "zeta_score",
]
