"""The read model: catalog, document views, search, export, status, metrics, operations."""
