from django.urls import path

from minesafe.hazards import views

app_name = "hazards"

urlpatterns = [
    path("", views.hazard_list, name="hazard_list"),
    path("new/", views.hazard_create, name="hazard_create"),
    path("<int:pk>/", views.hazard_detail, name="hazard_detail"),
    path("<int:pk>/plan/", views.hazard_plan, name="hazard_plan"),
    path("<int:pk>/apply/", views.hazard_apply, name="hazard_apply"),
    path("<int:pk>/verify/", views.hazard_verify, name="hazard_verify"),
    path("<int:pk>/reject/", views.hazard_reject, name="hazard_reject"),
    path("<int:pk>/extend/", views.hazard_extend, name="hazard_extend"),
    path("<int:pk>/list/", views.hazard_listing, name="hazard_listing"),
    path("extensions/<int:pk>/decide/", views.extension_decide, name="extension_decide"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("self-inspections/", views.self_inspections, name="self_inspections"),
    # Pages of other modules, imported lazily by views (views_dashboard.py, views_io.py).
    path("dashboard/", views.dashboard, name="dashboard"),
    path("export.xlsx", views.ledger_export, name="ledger_export"),
    path("import/", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
]
