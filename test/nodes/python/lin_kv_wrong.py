#!/usr/bin/env python3
"""lin-kv, deliberately wrong: every node answers from its own local map (stale reads)."""
import lin_kv

lin_kv.main(wrong=True)
