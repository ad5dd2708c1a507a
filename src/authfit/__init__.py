"""authfit: which influencers are authentic, and which will convert.

`from authfit import Scorer` is resolved lazily, so importing the package loads no model libraries.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Scorer", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Scorer":
        from authfit.scoring import Scorer

        return Scorer
    raise AttributeError(f"module 'authfit' has no attribute {name!r}")
