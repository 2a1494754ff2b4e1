"""The local runner and operator tool of the tenant platform."""
