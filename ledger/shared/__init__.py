"""Pieces both domains use, with no storage and no domain rules: refusals, the clock (Asia/Tokyo),
amounts and dates as people type them, and looking things up by name."""
