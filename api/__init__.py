"""Machine intake: the JSON API and Open311 (the machine-intake issue)."""
