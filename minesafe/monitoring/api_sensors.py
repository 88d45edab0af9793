"""Monitoring API: sensors (mounted by minesafe/monitoring/api.py)."""

from ninja import Router

router = Router(tags=["monitoring"])
