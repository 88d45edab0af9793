"""Monitoring routes: overview, alarms, live panels, the map and falsification flags (included by
minesafe/monitoring/urls.py under the "monitoring" namespace)."""

from django.urls import URLPattern, path

from minesafe.monitoring import views_alarms as views

urlpatterns: list[URLPattern] = [
    path("", views.overview, name="overview"),
    path("alarms/", views.alarm_list, name="alarm_list"),
    path("alarms/export.xlsx", views.alarm_export, name="alarm_export"),
    path("alarms/<int:pk>/", views.alarm_detail, name="alarm_detail"),
    path("alarms/<int:pk>/ack/", views.alarm_ack, name="alarm_ack"),
    path("alarms/<int:pk>/assign/", views.alarm_assign, name="alarm_assign"),
    path("alarms/<int:pk>/clear/", views.alarm_clear, name="alarm_clear"),
    path("alarms/<int:pk>/comment/", views.alarm_comment, name="alarm_comment"),
    path("alarms/<int:pk>/confirm/", views.alarm_confirm, name="alarm_confirm"),
    path("mines/<int:pk>/", views.mine_panel, name="mine_panel"),
    path("mines/<int:pk>/data.json", views.mine_panel_data, name="mine_panel_data"),
    path("map/", views.mine_map, name="map"),
    path("flags/", views.flag_list, name="flag_list"),
    path("flags/<int:pk>/", views.flag_detail, name="flag_detail"),
    path("flags/<int:pk>/decide/", views.flag_decide, name="flag_decide"),
]
