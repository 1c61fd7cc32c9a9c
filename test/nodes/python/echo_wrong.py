#!/usr/bin/env python3
"""echo, deliberately wrong: every third request gets the previous request's value back."""
import echo

echo.main(wrong=True)
