"""The provisioner service of the tenant platform."""
