"""The public reporting pages (/report/): no login."""

from django.urls import path

from minesafe.tipoffs import views_public as views

app_name = "report"

urlpatterns = [
    path("", views.submit, name="submit"),
    path("receipt/", views.receipt, name="receipt"),
    path("check/", views.check, name="check"),
    path("forget/", views.forget, name="forget"),
    # A report opens only for the browser session that proved its code and secret (404 otherwise).
    path("view/<str:code>/", views.view, name="view"),
    path("view/<str:code>/files/<int:pk>/", views.attachment, name="attachment"),
    path("mines/", views.mine_search, name="mine_search"),
]
