"""Tokens, written once: the api and the notifier accept exactly the same tokens
(`verify`), and every token this project makes (dev sign-in, `tenantctl token`,
the tests) comes from `mint`."""
