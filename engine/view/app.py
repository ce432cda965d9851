"""The SolaraViz page of `bmu view` (run by `solara run`; `bmu view` sets the environment).

Environment:
    BMU_VIEW_SOURCE   a scenario YAML (live simulation) or a results.h5 (replay of its snapshots)
    BMU_VIEW_SPIN_UP_DAYS   optional: spin-up days of a live view (default: the scenario's)
"""

from __future__ import annotations

import os

from engine.view.page import build_page

page = build_page(os.environ.get("BMU_VIEW_SOURCE", "scenarios/default.yaml"),
                  spin_up_days=int(os.environ["BMU_VIEW_SPIN_UP_DAYS"]) if os.environ.get("BMU_VIEW_SPIN_UP_DAYS") else None)
