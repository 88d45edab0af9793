"""Monitoring routes: sensors (included by minesafe/monitoring/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
