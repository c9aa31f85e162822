"""A user's notification preferences and the list of messages sent to them."""
