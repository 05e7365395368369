"""calib: calibration-laboratory service-assessment engine.

Kept import-light on purpose: ``calib budget evaluate`` must not pay for the
database or Streamlit (benchmarks/README.md, figure d).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
