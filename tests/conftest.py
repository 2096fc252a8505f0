import os

from hypothesis import HealthCheck, settings

from support import inf2_cluster  # noqa: F401  (fixture shared by the test modules)

# Property-based tests: derandomized (the same examples on every run, so a failure reproduces)
# and bounded, so the suite stays fast on two cores. HYPOTHESIS_PROFILE=deep explores further.
settings.register_profile(
    "bounded",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", parent=settings.get_profile("bounded"), max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))
