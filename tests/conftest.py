from support import inf2_cluster  # noqa: F401  (fixture shared by the test modules)
