#!/usr/bin/env node
"use strict";
// g-set, deliberately wrong: each element is gossiped once, never again (lost to partitions).
require("./g-set.js").main({ wrong: true });
