"""Chaos Advisor: advises on and runs chaos experiments on Kubernetes."""
