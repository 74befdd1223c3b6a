// jupiter-schemas: prints schemas/README.md from the catalogue, so the documentation is generated
// from the one declaration and a test keeps the two in step.
#include <iostream>

#include "schemas/catalog.hpp"
#include "schemas/protocol.hpp"

int main() {
    std::cout << "# Jupiter messages (schema version " << jupiter::kSchemaVersion << ")\n\n"
              << "Generated from `schemas/messages.cpp` by `build/bin/jupiter-schemas > schemas/README.md`; a test\n"
                 "fails when the two disagree.\n\n"
                 "Every message is one msgpack map, the **envelope**, sent as the last frame of a ZeroMQ message\n"
                 "(frames before it are routing: identities, tokens, an empty delimiter). Bus messages are two\n"
                 "frames: a topic (`ev` events, `hb.<node>` heartbeats, `tr` transitions) and the envelope. An\n"
                 "event batch on the bus has a third frame in curve mode: the leader's Ed25519 signature (64\n"
                 "bytes, detached) of the envelope frame's bytes, by the key published as `signing-key` in its\n"
                 "certificate's metadata (Z85); replicas apply a batch only if it verifies under the key of the\n"
                 "node whose heartbeats lead the batch's `epoch` (with several command nodes, a claim of the lead\n"
                 "counts only while another command node's heartbeat names the claimant as that epoch's\n"
                 "`leader`), and replay from that leader otherwise.\n\n"
                 "| envelope field | type | meaning |\n| --- | --- | --- |\n"
                 "| `v` | unsigned integer | schema version; a node refuses any other (`bad_version`) |\n"
                 "| `kind` | string | command, query, reply, error, events, heartbeat, transition, control |\n"
                 "| `name` | string | the message name below (`unknown_message` otherwise) |\n"
                 "| `id` | string | request id chosen by the client (1-128 bytes); replies echo it; commands are "
                 "deduplicated by it and the client's key |\n"
                 "| `body` | map | the fields below, checked for presence and type (`bad_field`) |\n"
                 "| `seq` | unsigned integer, optional | replies: the event sequence the answer reflects |\n"
                 "| `min_seq` | unsigned integer, optional | queries: answer only from a replica that applied it |\n"
                 "| `node` | string, optional | replies: the node that answered |\n"
                 "| `client` | string, optional | commands from a gateway to the command node: the sender's key; never "
                 "sent by a client |\n\n"
                 "A request over 64 KiB is answered `too_large` (one over 128 KiB cannot be read: the connection closes). "
                 "Replies may be up to 4 MiB (a list of 1,000 rows): a client's socket should accept that much.\n\n"
                 "Every link is CurveZMQ-authenticated by default (README, \"Security\"): what a peer may send is decided "
                 "by the role of its key, not by anything in the message. A request its role may not make is answered "
                 "with the error code `forbidden`, naming the roles that may; a bus message on a topic its key may not "
                 "publish (`ev`: the command node; `hb.<node>`: that node; `tr`: the monitor) is dropped and counted.\n"
              << "\n" << jupiter::protocolMarkdown() << jupiter::catalogMarkdown();
}
