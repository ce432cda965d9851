"""The day's systemic factors on the cell rules, from the patient's physiology and the drugs of the day.

One function each, read by the agents' processes (`engine.model.BoneModel.step`) and by the whole-skeleton
layer (`engine.skeleton`), so both solvers scale the same rules by the same numbers.
"""

from __future__ import annotations


def rankl_factor(physiology, exposure) -> float:
    """Osteocyte RANKL expression: the patient's physiology × teriparatide's delayed RANKL rise."""
    return physiology.rankl_expression_factor * exposure.fold("rankl_fold_max")


def osteoblast_working_life_days(biology, physiology, exposure) -> float:
    """Mean osteoblast working life today: the biology value, scaled by physiology and teriparatide."""
    return (biology.osteoblast_working_lifespan_days * physiology.osteoblast_lifespan_factor
            * exposure.fold("osteoblast_lifespan_fold_max"))


def lining_activation_per_day(biology, exposure) -> float:
    """Lining-cell reactivation rate today (modeling-based formation): the untreated base rate, which needs
    no RANKL signal, plus Σ over the drugs that add it (teriparatide) of max rate × today's effect."""
    return biology.modeling_formation_lining_activation_per_day + sum(
        pk.p["lining_activation_per_day_max"] * pk.anabolic_effect
        for pk in exposure.with_process("lining_cell_reactivation").values())
