"""The hourly station feeds in the national publication's CSV layout (national and county)."""
