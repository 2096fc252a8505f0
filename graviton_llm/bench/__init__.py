"""``graviton-llm bench``: a serving benchmark whose numbers are right, and a mock server.

Layers: ``records`` (what one request observed) -> ``metrics`` (pure math, vLLM definitions)
-> ``report`` (table, JSON, CSV, PNG). ``workload`` decides what to send, ``client`` sends it,
``mock_server`` is a vLLM-like server with a known schedule for tests and tries.
"""
