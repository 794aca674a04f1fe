"""Seeded sample generators (stations, HJ 212 packets, bureau workbooks) and the Python AQI reference.

Used by the main command and the tests; nothing in production imports them."""
