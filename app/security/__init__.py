"""Authentication, sessions, access rules, throttling and HTTP security headers."""
