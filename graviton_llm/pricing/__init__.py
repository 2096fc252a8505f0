"""What clusters cost: the per-term cost model, Reserved Instance advice and purchase, the blog's
cost claims recomputed, and their printed reports. Depends on facts only."""
