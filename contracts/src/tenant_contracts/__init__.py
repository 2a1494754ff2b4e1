"""Wire types shared by every service: events, subjects, stream, tenant fold."""
