#!/usr/bin/env python3
"""unique-ids, deliberately wrong: a per-node counter without the node id (ids repeat)."""
import unique_ids

unique_ids.main(wrong=True)
