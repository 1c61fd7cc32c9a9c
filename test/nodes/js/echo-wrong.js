#!/usr/bin/env node
"use strict";
// echo, deliberately wrong: every third request gets the previous request's value back.
require("./echo.js").main({ wrong: true });
