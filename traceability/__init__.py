"""ISO/IEC 17025 metrological traceability: registers, chains, decision rules, impact, intervals."""
