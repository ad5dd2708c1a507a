"""The synthetic influencer world: contract tables with known ground truth (see data/SIMULATION.md)."""

from authfit.simulate.world_settings import SimulationSettings
from authfit.simulate.world import CONTRACT_TABLES, TRUTH_TABLES, generate_world
from authfit.simulate.writer import WorldSummary, write_world

__all__ = [
    "CONTRACT_TABLES", "TRUTH_TABLES", "SimulationSettings", "WorldSummary", "generate_world", "write_world",
]
