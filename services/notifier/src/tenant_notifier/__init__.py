"""The notifier service of the tenant platform."""
