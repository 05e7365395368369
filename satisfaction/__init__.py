"""Customer-satisfaction feedback and metrics with confidence intervals and control charts."""
