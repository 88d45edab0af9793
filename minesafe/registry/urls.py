from django.urls import path

from minesafe.registry import views

app_name = "registry"

urlpatterns = [
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("enterprise-accounts/new/", views.enterprise_account, name="enterprise_account"),
    path("mines/", views.mine_list, name="mine_list"),
    path("mines/export.xlsx", views.mine_export, name="mine_export"),
    path("mines/import/", views.mine_import, name="mine_import"),
    path("mines/import/<int:pk>/", views.mine_import_job, name="mine_import_job"),
    path("mines/import/<int:pk>/progress/", views.mine_import_progress, name="mine_import_progress"),
    path("mines/import/template.xlsx", views.mine_import_template, name="mine_import_template"),
    path("mines/new/", views.mine_create, name="mine_create"),
    path("mines/<int:pk>/", views.mine_detail, name="mine_detail"),
    path("mines/<int:pk>/edit/", views.mine_edit, name="mine_edit"),
    path("mines/<int:pk>/status/", views.mine_status, name="mine_status"),
]
