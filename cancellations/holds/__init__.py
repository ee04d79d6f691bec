"""Holding a new order's fulfilment while its change window is open (decision 0110).

services.py is the only writer of `FulfilmentHold.status`: hold a new order, place the hold on the
platform, start and finish its release, and the sweep. selectors.py reads the held orders.
"""
