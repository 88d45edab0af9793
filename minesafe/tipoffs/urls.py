"""Regulator pages of the tip-off register (/tipoffs/)."""

from django.urls import path

from minesafe.tipoffs import views

app_name = "tipoffs"

urlpatterns = [
    path("", views.tipoff_list, name="list"),
    path("export.xlsx", views.tipoff_export, name="export"),
    path("kpi/", views.kpi, name="kpi"),
    path("kpi/export.xlsx", views.kpi_export, name="kpi_export"),
    path("<int:pk>/", views.tipoff_detail, name="detail"),
    path("<int:pk>/files/<int:att>/", views.attachment, name="attachment"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/verify/", views.verify, name="verify"),
    path("<int:pk>/identify/", views.identify, name="identify"),
    path("<int:pk>/handle/", views.handle, name="handle"),
    path("<int:pk>/answer/", views.answer, name="answer"),
    path("<int:pk>/reward/", views.reward, name="reward"),
    path("<int:pk>/payment/", views.payment, name="payment"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/extend/", views.extend, name="extend"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
]
