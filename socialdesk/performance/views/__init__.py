"""Service performance pages: returns (list, entry, review, Excel) in `returns`, dashboards,
alerts and improvement plans in `monitoring`. Each module holds its own `urlpatterns`."""
