"""The generated SDK's run-time support: small, typed helpers it calls."""
