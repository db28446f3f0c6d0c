"""The back office: Flask-Admin views over the records and the accounts."""
