"""Stores' own domains proving ownership: the DNS and well-known-file checks, and the tasks that run them.

The domain rows and their status live in tenants (tenants/domains.py, the only writer of a status);
this package looks for the proof on the internet and reports what it found.
"""
