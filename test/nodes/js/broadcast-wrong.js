#!/usr/bin/env node
"use strict";
// broadcast, deliberately wrong: each broadcast is sent to the other nodes once, never retried.
require("./broadcast.js").main({ wrong: true });
