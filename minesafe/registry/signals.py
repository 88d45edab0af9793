"""Signals other apps listen to (registry depends on no app above it, so it announces instead of calling)."""

from django.dispatch import Signal

__all__ = ["mine_county_changed"]

# Sent inside update_mine's transaction when a mine moves to another county, with keyword
# arguments ``mine_id``, ``old_county`` and ``new_county`` (division codes). Receivers that keep
# per-county figures (hazards.tally) move them in the same transaction.
mine_county_changed = Signal()
