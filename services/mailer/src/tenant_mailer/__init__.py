"""Emails for tenants that end while nobody watches, and the welcome of a new tenant."""
