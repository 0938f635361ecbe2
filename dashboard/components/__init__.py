"""Small widgets shared by several pages: SLA badges, reason lists, masked payloads."""
