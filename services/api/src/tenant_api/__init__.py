"""The api service of the tenant platform."""
