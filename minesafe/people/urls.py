from django.urls import path

from minesafe.people import views

app_name = "people"

urlpatterns = [
    path("", views.compliance, name="compliance"),
    path("persons/", views.person_list, name="person_list"),
    path("persons/export.xlsx", views.roster_export, name="roster_export"),
    path("persons/new/", views.person_create, name="person_create"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("persons/<int:pk>/posts/new/", views.post_create, name="post_create"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("training/", views.training_list, name="training_list"),
    path("training/new/", views.training_create, name="training_create"),
    path("training/<int:pk>/", views.training_detail, name="training_detail"),
    path("training/<int:pk>/attendees/", views.training_attendees, name="training_attendees"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/export.xlsx", views.finding_export, name="finding_export"),
    path("mines/<int:pk>/", views.mine_compliance, name="mine_compliance"),
    path("mines/<int:pk>/recheck/", views.mine_recheck, name="mine_recheck"),
    path("import/", views.import_view, name="import"),
    path("import/roster-template.xlsx", views.roster_template, name="roster_template"),
    path("import/training-template.xlsx", views.training_template, name="training_template"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
]
