"""Names vulture (60 %) reports as unused but something outside the Python code reads: the
`flask --app pool` command, Flask-Login, SQLAlchemy and fpdf2 by attribute, the templates, and
the database (columns kept for the record and the data export). `make lint` reads this file."""

# The app factory: `flask --app pool` and wsgi.py call it.
create_app

# Flask-Login, SQLAlchemy, Flask and fpdf2 read these attributes and methods.
_.login_view
_.login_message_category
_.session_protection
_.is_active
_.is_anonymous
_.get_id
_.isolation_level
_.max_content_length
_.core_fonts_encoding
timezone  # a type's constructor argument SQLAlchemy passes when it copies the type
_.pool_page  # g.pool_page, read back with g.pop

# Columns: written for the record, shown in the data export and the privacy pages.
paid_by_id
data_consent_at
deployability_codes
deployability_checked_on
from_status
recorded_by_id
recorded_at
published_at
published_by_id
# Read by the API's read schemas (pool/schemas, by attribute through pydantic).
cancelled_at
assign_reason
feedback_text
completed_at
related_language
excluded_total
last_run_at
last_error
interval_days
assigned_by_id
done_by_id
last_login_at
last_used_at

# Read by the templates, or by the API and the CSV export through dataclasses.asdict.
_.federal_state_name
difference
total_cents
open_cents
paid_cents
unpaid_cents
limit_cents
level_with_unpaid
via_coordination
feedback_count
sign_language

# The tests seed the base domains from it.
BASE_DOMAIN_NAMES

# Read through flask.g.get("pool_session_id") (the profile marks this device's session).
pool_session_id
# Read by the logging module when the record is formatted (pool/redact.py).
msg
