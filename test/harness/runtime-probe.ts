// A tiny probe shipped into test nodes (as ClusterSpec.files): the node's main process answers
// TCP on 7000 with its name and logs every UDP datagram it receives on 7001 to /tmp/udp.log;
// the client sends a TCP request or UDP datagrams from inside another node.

export const PROBE_SERVER = String.raw`
import os, socket, socketserver, threading
name = os.environ.get("FAULTLINE_NODE", "?")
class Tcp(socketserver.StreamRequestHandler):
    def handle(self):
        self.rfile.readline()
        self.wfile.write(("pong " + name + "\n").encode())
class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        with open("/tmp/udp.log", "ab") as f:
            f.write(self.request[0] + b"\n")
socketserver.ThreadingTCPServer.allow_reuse_address = True
tcp = socketserver.ThreadingTCPServer(("0.0.0.0", 7000), Tcp)
udp = socketserver.UDPServer(("0.0.0.0", 7001), Udp)
threading.Thread(target=udp.serve_forever, daemon=True).start()
print("probe ready", name, flush=True)
tcp.serve_forever()
`;

export const PROBE_CLIENT = String.raw`
import socket, sys
mode, ip = sys.argv[1], sys.argv[2]
if mode == "tcp":
    try:
        s = socket.create_connection((ip, 7000), timeout=float(sys.argv[3]))
        s.sendall(b"ping\n")
        print(s.makefile().readline().strip())
    except OSError as e:
        print("no answer:", e)
        sys.exit(1)
else:
    msg, count = sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(count):
        s.sendto((msg + "-" + str(i)).encode(), (ip, 7001))
`;

export const probeFiles = [
  { path: "/opt/probe/server.py", content: PROBE_SERVER },
  { path: "/opt/probe/client.py", content: PROBE_CLIENT },
];
export const probeCommand = ["python3", "-u", "/opt/probe/server.py"];
