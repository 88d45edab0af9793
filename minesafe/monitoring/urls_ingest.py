"""Monitoring routes: ingest (included by minesafe/monitoring/urls.py)."""

from django.urls import URLPattern, path

from minesafe.monitoring import views_ingest

urlpatterns: list[URLPattern] = [
    path("ingest/readings/", views_ingest.ingest_readings, name="ingest_http"),
]
