"""Automation rules: conditions on incoming orders and what to do about the orders that meet them.

- `normalise`: reading addresses the same however they are written (freight-forwarder matching);
- `conditions`, `actions`: what a rule can ask and do, as checked JSON (pure);
- `engine`: `run_rules(...)` on an order event, and `preview_rule(...)` on recent orders;
- `requests`: the cancellation requests a rule makes, through the request lifecycle;
- `intake`: where order intake (webhooks) hands events to the rules, in a task after commit;
- `services`, `selectors`: setting up and reading rules and the forwarder list;
- `presets`: ready-made rules for the common cases.
"""
