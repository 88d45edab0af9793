"""Monitoring routes: the sensor registry and mine gateways (included by minesafe/monitoring/urls.py)."""

from django.urls import URLPattern, path

from minesafe.monitoring import views_sensors as views

urlpatterns: list[URLPattern] = [
    path("sensors/", views.sensor_list, name="sensor_list"),
    path("sensors/export.xlsx", views.sensor_export, name="sensor_export"),
    path("sensors/new/", views.sensor_create, name="sensor_create"),
    path("sensors/<int:pk>/", views.sensor_detail, name="sensor_detail"),
    path("sensors/<int:pk>/edit/", views.sensor_edit, name="sensor_edit"),
    path("sensors/<int:pk>/thresholds/", views.sensor_thresholds, name="sensor_thresholds"),
    path("gateways/", views.gateway_list, name="gateway_list"),
    path("gateways/new/", views.gateway_create, name="gateway_create"),
    path("gateways/<int:pk>/revoke/", views.gateway_revoke, name="gateway_revoke"),
]
