"""``graviton-llm bench``: a serving benchmark whose numbers are right, and a mock server.

What to send: ``config`` (the run's settings), ``workload`` (prompts and lengths).
Sending it: ``load_generator`` (the schedule) -> ``request_sender`` (one request, one record).
What was seen: ``records`` (one row per request) -> ``metrics`` (pure math, vLLM definitions)
-> ``report`` (JSON, CSV), ``tables`` (what is printed), ``plots`` (PNG).
``mock`` is a vLLM-like server with a known schedule for tests and tries; ``cli`` adds the
commands to the main app (``register``).
"""
