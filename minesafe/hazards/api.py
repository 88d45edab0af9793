"""API for the hazard ledger (routes added below)."""

from ninja import Router

router = Router(tags=["hazards"])
