"""Operations: readiness and metrics (``health``, ``metrics``), logging (``logs``), backup and retention."""
