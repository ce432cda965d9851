"""Work buffers that are not state.

An attribute named `_scratch…` holds something its owner rebuilds when it is missing (its class holds the
default, None): multigrid levels, today's candidate sites. Checkpoints (`engine.io.state`) and pickles leave
them out, so a resumed model rebuilds them and continues exactly as the uninterrupted one; a pickled copy of
the multigrid levels would also turn the coarse hierarchies' views of the fine buffers into stale copies.
"""

SCRATCH_PREFIX = "_scratch"


def is_scratch(name: str) -> bool:
    return name.startswith(SCRATCH_PREFIX)


class HasScratch:
    """Pickles without its `_scratch…` attributes."""

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if not is_scratch(k)}
