// Where a node host listens, and where it keeps its files inside a node container.

/** TCP port for client connections from the control process (one JSON message per line). */
export const CLIENT_PORT = 7070;
/** UDP port for messages between node hosts (one JSON message per datagram). */
export const PEER_PORT = 7071;
/** Host state (topology) and, under data/, the node program's data directory. */
export const STATE_DIR = "/var/lib/faultline";
/** The host's log: its own lines and the node program's stderr. */
export const HOST_LOG = "/var/log/faultline/host.log";
/** Where targets put the bundled host and node programs inside a node. */
export const PROGRAM_DIR = "/opt/faultline";
/** A datagram larger than this is dropped (and logged) instead of sent. */
export const MAX_DATAGRAM_BYTES = 60_000;
