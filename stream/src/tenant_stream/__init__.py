"""The TENANTS stream as every service uses it, written once.

- `connection`: NATS settings from the environment (seed list, credentials, TLS)
  and the connect call with the reconnect policy every service shares;
- `setup`: create the stream and durable consumers, and keep them there at run time;
- `event_log`: a tenant's history that cannot miss an acknowledged event, and
  appends with a definite outcome;
- `feed`: an ordered read of the whole stream that survives the loss of any node.
"""
