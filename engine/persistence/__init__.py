"""SQLAlchemy tables, the unit of work and the queries the services share."""
