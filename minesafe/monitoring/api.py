"""The monitoring API router: sensors and alarms (mounted at /api/v1/ by minesafe/api.py)."""

from ninja import Router

from minesafe.monitoring.api_alarms import router as alarms_router
from minesafe.monitoring.api_sensors import router as sensors_router

router = Router()
router.add_router("/", sensors_router)
router.add_router("/", alarms_router)
