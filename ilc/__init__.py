"""Inter-laboratory comparisons and proficiency testing: ISO 13528 / ISO/IEC 17043 scoring."""
