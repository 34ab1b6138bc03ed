#!/usr/bin/env python3
"""scripts/pubsub-drain.py PORT N CHANNEL: N subscribers of CHANNEL on 127.0.0.1:PORT that read
(and drop) everything they receive until killed, so that a publish benchmark measures delivery
to clients that keep up. Prints the bytes each received when it gets SIGTERM."""
import selectors
import signal
import socket
import sys

port, n, channel = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sel = selectors.DefaultSelector()
received = 0
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(channel), channel.encode()))
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    socks.append(s)


def stop(*_):
    print("received %d bytes on %d connections" % (received, n))
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
while True:
    for key, _ in sel.select():
        data = key.fileobj.recv(1 << 20)
        if not data:
            sys.exit("a subscriber was disconnected")
        received += len(data)
