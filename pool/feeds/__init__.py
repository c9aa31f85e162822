"""The iCalendar feed: a page to set up the secret address, and the feed behind it."""
