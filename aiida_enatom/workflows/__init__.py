"""WorkChains (orchestration only) and their YAML protocols."""
