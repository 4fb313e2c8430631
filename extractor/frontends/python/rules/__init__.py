"""Python rules whose logic is not data (``impl:`` in a rule file). Same header, fixtures and docs."""
