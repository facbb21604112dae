"""Performance reads through the policies: returns (`returns`), dashboards (`dashboards`)."""
