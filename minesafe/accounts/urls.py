from django.urls import path

from minesafe.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_view, name="password"),
    path("tokens/", views.tokens_view, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("users/", views.users_view, name="users"),
    path("users/new/", views.user_create_view, name="user_create"),
    path("users/<int:pk>/deactivate/", views.user_deactivate_view, name="user_deactivate"),
    path("users/<int:pk>/activate/", views.user_activate_view, name="user_activate"),
    path("organisations/", views.organisations_view, name="organisations"),
    path("security/", views.security_view, name="security"),
    path("security/<int:pk>/unlock/", views.unlock_view, name="unlock"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
]
