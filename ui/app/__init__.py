"""The application layer every interface shares: services, JSON shapes, access, keys,
the audit log, feedback, rate limits and shared Swedish text."""
