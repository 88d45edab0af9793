"""The gateway ingestion endpoint in the authorization matrix (minesafe/core/tests/test_authz_matrix.py).

``monitoring:ingest_http`` authenticates gateways with its own ``Authorization: Gateway <token>``
header, not with a user session: every role and anonymous get the same 401 without a gateway token
(minesafe/monitoring/tests/test_ingest.py covers the token, scope and body rules).
"""

from minesafe.testing.authz import r

UI_ROUTES = {
    "monitoring:ingest_http": r(set(), public=True, method="POST", ok=(401,)),
}
