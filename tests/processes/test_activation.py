"""Activation on a 16³ grid: BMUs start on quiescent surface at the Poisson rate, with their osteoclasts."""

import numpy as np

from engine.agents.bmu import RESORPTION
from engine.agents.osteoblast import LINING, Osteoblast
from engine.agents.osteoclast import Osteoclast
from engine.processes.activation import Activation, LiningCellReactivation
from engine.processes.osteoblast_fates import OsteoblastFates
from engine.processes.osteocyte_turnover import OsteocyteTurnover
from engine.processes.surface_census import SurfaceCensus
from engine.signalling import SignallingFields
from engine.units import DAYS_PER_YEAR
from tests.processes.conftest import SURFACE_Z


def _activation(host):
    host.signalling = SignallingFields(host.grid, host.biology, 2, 1e-6, 50)
    census = SurfaceCensus(host.grid, host.bmus)
    turnover = OsteocyteTurnover(host.grid, host.biology, host.cells, host.signalling)
    return Activation(host, census, host.precursors, turnover, host.bmus), census, turnover


def test_poisson_rate_scales_with_quiescent_surface_and_committed_precursors(host):
    activation, census, _ = _activation(host)
    quiescent_mm2 = census.quiescent_voxels * (host.grid.voxel_size_um * 1e-3) ** 2
    expected_per_day = host.biology.activation_per_mm2_per_year / DAYS_PER_YEAR * quiescent_mm2
    host.precursors.committed_stages *= 2000.0  # committed precursors × 2000: enough BMUs to count
    days = 50
    for _ in range(days):
        activation.run_step()
        host.clock += 1
    n = len(host.bmus.bmus)
    mean = expected_per_day * 2000.0 * days
    assert abs(n - mean) < 4 * np.sqrt(mean), (n, mean)  # Poisson: 4 SD
    for bmu in host.bmus.bmus.values():
        assert bmu.phase == RESORPTION and bmu.osteoclasts
        assert bmu.origin[0] == SURFACE_Z - 1  # a surface voxel
        assert all(isinstance(oc, Osteoclast) and oc.bmu is bmu for oc in bmu.osteoclasts)


def test_targeted_sites_are_used_first(host):
    activation, _, turnover = _activation(host)
    turnover.targeted_sites.append((SURFACE_Z - 1, 3, 4))
    bmu = activation.start_bmu(turnover.take_site(), targeted=True)
    assert bmu.targeted and bmu.origin == (SURFACE_Z - 1, 3, 4) and not turnover.targeted_sites
    heading = bmu.osteoclasts[0].heading
    assert abs(heading[0]) < 1e-9  # moves along the flat surface (normal is z)


def _census(host):
    host.census = SurfaceCensus(host.grid, host.bmus)
    host.census.run_step()
    return host.census


def test_reactivated_lining_cells_start_modeling_units(host):
    lining = [Osteoblast(host, (SURFACE_Z - 1, y, x), state=LINING) for y in range(0, 16, 4) for x in range(0, 16, 4)]
    fates = OsteoblastFates(host)
    _census(host)

    # a saturating teriparatide day: p = 1 − e^−50
    LiningCellReactivation(host, host.bmus, fates).run_step(rate_per_day=50.0, mean_working_life_days=30.0)
    units = list(host.bmus.bmus.values())
    assert len(units) == len(lining)
    for unit in units:
        assert unit.modeling and unit.resorbed_um3 == 0.0 and unit.active_osteoblasts == 1
        assert np.all(host.grid.bone_fraction.ravel()[unit.cavity] < 1.0)  # it forms on the marrow side
    assert all(cell.state == "active" and cell.fate_day > host.clock for cell in lining)
    assert sum(len(v) for v in fates.calendar.values()) == len(lining)
    assert not any(host.cells.occupants.values())  # they left the surface's lining-cell index
    assert host.bmus.activation_clock_days == []  # modeling is not remodeling activation


def test_modeling_units_follow_the_quiescent_surface_not_the_lining_agents(host):
    """One lining position per lining_cell_area_um2 of quiescent surface (the layer's rule): 16 × 16 surface
    voxels of 100 µm² give 51 positions, so a day at p = 0.2 starts binomial(51, 0.2) units, capped by the
    16 lining agents; counting the agents (binomial(16, 0.2)) let MBF fade as they became fewer."""
    import math
    for y in range(0, 16, 4):
        for x in range(0, 16, 4):
            Osteoblast(host, (SURFACE_Z - 1, y, x), state=LINING)
    census = _census(host)
    positions = round(census.quiescent_voxels * host.grid.voxel_size_um**2 / host.biology.lining_cell_area_um2)
    assert positions == 51
    rate = -math.log(1.0 - 0.2)
    twin = np.random.default_rng()
    twin.bit_generator.state = host.rng.bit_generator.state
    expected = min(int(twin.binomial(positions, 0.2)), 16)
    LiningCellReactivation(host, host.bmus, OsteoblastFates(host)).run_step(rate_per_day=rate, mean_working_life_days=30.0)
    assert len(host.bmus.bmus) == expected
