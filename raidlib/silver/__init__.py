"""Silver: bronze JSON Lines → cleaned, typed, deduplicated, enriched Parquet (CONTRACT §3)."""
