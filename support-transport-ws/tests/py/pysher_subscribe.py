"""pysher, the Python Pusher client, as shipped: connects to the server on HOST:PORT with
app key KEY, subscribes to the public CHANNEL and waits for one `greeting` event.

Run by tests/pysher.rs. Prints one line per step, for the test to follow:
    PROTOCOL <the protocol version pysher asks for>
    CONNECTED <socket id>
    SUBSCRIBED
    EVENT <the event's data>
and exits 0 after the event; on a pusher:error or after 30 s without the event it prints
ERROR or TIMEOUT and exits 1.
"""

import logging
import sys
import threading

import pysher

host, port, key, channel_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
done = threading.Event()
failed = []


def say(*words):
    print(*words, flush=True)


client = pysher.Pusher(
    key, custom_host=host, port=port, secure=False, log_level=logging.WARNING
)
say("PROTOCOL", client.protocol)


def on_error(data):
    failed.append(data)
    say("ERROR", data)
    done.set()


def on_event(data):
    say("EVENT", data)
    done.set()


def on_connected(data):
    say("CONNECTED", client.connection.socket_id)
    channel = client.subscribe(channel_name)
    channel.bind("pusher_internal:subscription_succeeded", lambda _: say("SUBSCRIBED"))
    channel.bind("greeting", on_event)


client.connection.bind("pusher:connection_established", on_connected)
client.connection.bind("pusher:error", on_error)
client.connect()
if not done.wait(30):
    say("TIMEOUT")
    sys.exit(1)
client.disconnect(timeout=2)
sys.exit(1 if failed else 0)
