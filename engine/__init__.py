"""Polku engine: BPMN service paths on SpiffWorkflow, persisted with SQLAlchemy.

Nothing in this package imports Flask.
"""
