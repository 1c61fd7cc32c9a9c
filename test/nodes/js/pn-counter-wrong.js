#!/usr/bin/env node
"use strict";
// pn-counter, deliberately wrong: merges a peer's count by sum instead of max (over-counts).
require("./pn-counter.js").main({ wrong: true });
