"""The stores over Redis: documents, clusters, the LSH and passage indexes, their Lua scripts."""
