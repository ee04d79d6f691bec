"""Orders mirror, order requests, policy and rules (built up by later issues)."""
