#!/usr/bin/env python3
"""kafka, deliberately wrong: every node keeps its own logs (offsets repeat across nodes)."""
import kafka

kafka.main(wrong=True)
