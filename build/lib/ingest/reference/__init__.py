"""The city profile (config/city_profile.yaml): cities, stations, peer groups, targets, events."""
