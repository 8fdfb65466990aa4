"""The SpiffWorkflow wrapper: parsing, validation, safe expressions, forms, serialization."""
