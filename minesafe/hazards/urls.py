from django.urls import path  # noqa: F401 — routes are added by the pages below

app_name = "hazards"

urlpatterns: list = []
