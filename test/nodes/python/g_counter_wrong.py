#!/usr/bin/env python3
"""g-counter, deliberately wrong: one total per node merged with max (loses increments)."""
import g_counter

g_counter.main(wrong=True)
