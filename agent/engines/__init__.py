"""How a fault is injected: the fault catalog (upstream names and defaults) and chaos engine manifests (LitmusChaos)."""
