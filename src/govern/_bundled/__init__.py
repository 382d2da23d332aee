"""The default policy library and the demo's model cards, shipped inside the package.

In a source checkout these are symlinks to the top-level `policies/` and `data/models/`;
a built wheel carries copies, so an installed govern has its library without the repository.
"""

from pathlib import Path

BUNDLED = Path(__file__).resolve().parent
POLICIES = BUNDLED / "policies"
MODEL_CARDS = BUNDLED / "models"

__all__ = ["MODEL_CARDS", "POLICIES"]
