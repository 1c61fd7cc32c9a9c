#!/usr/bin/env node
"use strict";
// echo workload: answer {type: echo, echo} with {type: echo_ok, echo}.
// --wrong (or echo-wrong.js): every third request is answered with the previous request's
// value, as a node with a stale reply buffer would.
const { Node, wrongFlag } = require("./lib.js");

function main({ wrong = false } = {}) {
  const node = new Node(wrong ? "echo-wrong" : "echo");
  let count = 0;
  let previous = null;
  node.on("echo", (msg) => {
    const value = msg.body.echo;
    count += 1;
    const answer = wrong && count % 3 === 0 ? previous : value;
    previous = value;
    node.reply(msg, { type: "echo_ok", echo: answer });
  });
  node.run();
}

module.exports = { main };
if (require.main === module) main({ wrong: wrongFlag() });
