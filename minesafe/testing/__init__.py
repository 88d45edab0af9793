"""Test support shared by every app: personas and factories (imports any app; never imported by app code)."""
