"""GUM (JCGM 100) uncertainty budgets, Monte Carlo (JCGM 101), calibration curves."""
