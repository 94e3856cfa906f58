"""Where the shared material sits: ../shared beside the repository."""
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
REAL = SHARED / "real-responses"
VECTORS = SHARED / "signing" / "vectors.json"
