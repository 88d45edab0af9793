"""Monitoring pages (/monitoring/): sensors, ingestion endpoints, alarms, live panels and the map."""

from minesafe.monitoring import urls_alarms, urls_ingest, urls_sensors

app_name = "monitoring"

urlpatterns = [*urls_sensors.urlpatterns, *urls_ingest.urlpatterns, *urls_alarms.urlpatterns]
